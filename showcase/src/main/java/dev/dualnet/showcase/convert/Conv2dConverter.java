package dev.dualnet.showcase.convert;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxGraph;
import dev.dualnet.exporter.graph.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * DJL {@link Conv2d} to ONNX {@code Conv} (NCHW, symmetric padding, optional bias), for {@code Conv2d}
 * itself and for subclasses that only change how training computes it, such as the trainer's
 * {@link dev.dualnet.trainer.model.InputConv2d}.
 *
 * @param <C> the convolution class converted
 */
final class Conv2dConverter<C extends Conv2d> implements BlockConverter<C> {
    private final Class<C> blockType;

    Conv2dConverter(Class<C> blockType) {
        this.blockType = blockType;
    }

    @Override
    public Class<C> blockType() {
        return blockType;
    }

    @Override
    public List<Value> convert(C block, String path, List<Value> inputs, ExportContext context) {
        Value x = inputs.get(0);
        Shape kernel = block.getKernelShape();
        Shape stride = block.getStride();
        Shape padding = block.getPadding();
        Shape dilation = block.getDilation();
        List<Value> nodeInputs = new ArrayList<>(List.of(x, context.parameter(block, path, "weight")));
        if (ExportContext.hasParameter(block, "bias")) {
            nodeInputs.add(context.parameter(block, path, "bias"));
        }
        long[] out = {
            x.dim(0),
            block.getFilters(),
            outputSize(x.dim(2), kernel.get(0), stride.get(0), padding.get(0), dilation.get(0)),
            outputSize(x.dim(3), kernel.get(1), stride.get(1), padding.get(1), dilation.get(1))
        };
        Attributes attributes = Attributes.none()
                .ints("kernel_shape", kernel.get(0), kernel.get(1))
                .ints("strides", stride.get(0), stride.get(1))
                .ints("pads", padding.get(0), padding.get(1), padding.get(0), padding.get(1))
                .ints("dilations", dilation.get(0), dilation.get(1))
                .integer("group", block.getGroups());
        return List.of(context.node("Conv", path, nodeInputs, attributes, OnnxGraph.FLOAT, out));
    }

    private static long outputSize(long size, long kernel, long stride, long padding, long dilation) {
        return (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
    }
}
