package dev.dualnet.showcase.convert;

import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.Value;
import dev.dualnet.trainer.model.Pooling2d;
import java.util.List;

/** Shared emission of a pooling node with the block's kernel and stride, no padding, floor rounding. */
final class PoolingConverters {
    private PoolingConverters() {}

    static List<Value> pool(String opType, Pooling2d block, String path, List<Value> inputs, ExportContext context) {
        Value x = inputs.get(0);
        long kh = block.getKernel().get(0);
        long kw = block.getKernel().get(1);
        long sh = block.getStride().get(0);
        long sw = block.getStride().get(1);
        long[] out = {x.dim(0), x.dim(1), (x.dim(2) - kh) / sh + 1, (x.dim(3) - kw) / sw + 1};
        Attributes attributes = Attributes.none()
                .ints("kernel_shape", kh, kw)
                .ints("strides", sh, sw)
                .ints("pads", 0, 0, 0, 0);
        return List.of(context.node(opType, path, List.of(x), attributes, x.elementType(), out));
    }
}
