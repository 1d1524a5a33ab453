package dev.dualnet.exporter.optimize;

import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Conv (stride 1) → Relu → MaxPool 2×2 stride 2, for convolutions with few output channels,
 * becomes one stride-2 convolution computing all four pooling positions at once, then a max over
 * them:
 *
 * <pre>
 * Conv(W' [4C, Cin, k+1, k+1], stride 2) → Relu → Reshape [N,1,4,C·H·W] → MaxPool [4,1] → Reshape [N,C,H,W]
 * </pre>
 *
 * Filter {@code g·C + c} of W' is filter c of W shifted by the pooling offset g ∈ {(0,0), (0,1),
 * (1,0), (1,1)}, so output (i, j) of group g is the original convolution at (2i+dy, 2j+dx); ReLU is
 * monotone, so pooling after it equals pooling before it. A CPU runtime computes convolutions in
 * blocks of 8 or 16 output channels: 6 or 12 channels waste most of each block, while 4C channels
 * fill them, and the full-resolution activation is never written.
 */
final class PooledConvolution implements GraphRewrite {
    /** Convolutions with at least this many output channels already fill a CPU vector block; left alone. */
    static final long MAX_CHANNELS = 16;
    private static final long POSITIONS = 4;

    @Override
    public String name() {
        return "pooled-convolution";
    }

    @Override
    public String anchor() {
        return "MaxPool";
    }

    @Override
    public boolean rewriteAt(GraphEditor graph, NodeProto pool) {
        if (!isPlainTwoByTwoPool(pool)) {
            return false;
        }
        Optional<NodeProto> relu = graph.producerOnlyFor(pool.getInput(0), "Relu", pool);
        if (relu.isEmpty()) {
            return false;
        }
        Optional<NodeProto> conv = graph.producerOnlyFor(relu.get().getInput(0), "Conv", relu.get());
        Optional<long[]> pooledShape = graph.shape(pool.getOutput(0));
        if (conv.isEmpty() || !isPlainConvolution(conv.get()) || pooledShape.isEmpty()
                || pooledShape.get().length != 4 || pooledShape.get()[2] < 1 || pooledShape.get()[3] < 1) {
            return false;
        }
        Optional<GraphEditor.Constant> weight = graph.floats(conv.get().getInput(1));
        if (weight.isEmpty() || weight.get().rank() != 4 || weight.get().dim(0) >= MAX_CHANNELS) {
            return false;
        }
        Optional<GraphEditor.Constant> bias = conv.get().getInputCount() > 2
                ? graph.floats(conv.get().getInput(2)) : Optional.empty();
        if (conv.get().getInputCount() > 2 && bias.isEmpty()) {
            return false;
        }
        long channels = weight.get().dim(0);
        long height = pooledShape.get()[2];
        long width = pooledShape.get()[3];
        long[] kernel = {weight.get().dim(2), weight.get().dim(3)};

        String prefix = conv.get().getOutput(0);
        List<String> convInputs = new ArrayList<>(List.of(conv.get().getInput(0),
                graph.addInitializer(prefix + "_pooled_weight", shiftedFilters(weight.get()),
                        POSITIONS * channels, weight.get().dim(1), kernel[0] + 1, kernel[1] + 1)));
        bias.ifPresent(b -> convInputs.add(graph.addInitializer(prefix + "_pooled_bias",
                repeated(b.data(), (int) POSITIONS), POSITIONS * channels)));
        long perPosition = channels * height * width;
        List<NodeProto> chain = new ArrayList<>();
        String all = graph.node(chain, "Conv", convInputs, Attributes.none()
                .ints("kernel_shape", kernel[0] + 1, kernel[1] + 1)
                .ints("strides", 2, 2)
                .ints("pads", NodeAttributes.ints(conv.get(), "pads", 0, 0, 0, 0))
                .ints("dilations", 1, 1)
                .integer("group", 1), prefix + "_pooled", -1, POSITIONS * channels, height, width);
        String rectified = graph.node(chain, "Relu", List.of(all), Attributes.none(), prefix + "_pooled_relu",
                -1, POSITIONS * channels, height, width);
        String positionsShape = graph.addInitializer(prefix + "_positions_shape",
                new long[] {-1, 1, POSITIONS, perPosition}, 4);
        String byPosition = graph.node(chain, "Reshape", List.of(rectified, positionsShape), Attributes.none(),
                prefix + "_positions", -1, 1, POSITIONS, perPosition);
        String maximum = graph.node(chain, "MaxPool", List.of(byPosition), Attributes.none()
                .ints("kernel_shape", POSITIONS, 1)
                .ints("strides", POSITIONS, 1), prefix + "_positions_max", -1, 1, 1, perPosition);
        graph.nodeWriting(chain, "Reshape", List.of(maximum,
                        graph.addInitializer(prefix + "_pooled_shape", new long[] {-1, channels, height, width}, 4)),
                Attributes.none(), pool.getOutput(0));
        graph.replace(List.of(conv.get(), relu.get(), pool), chain);
        return true;
    }

    private static boolean isPlainTwoByTwoPool(NodeProto pool) {
        return pool.getOutputCount() == 1
                && NodeAttributes.intsAre(pool, "kernel_shape", 2, 2)
                && NodeAttributes.ints(pool, "strides").length == 2
                && NodeAttributes.intsAre(pool, "strides", 2, 2)
                && NodeAttributes.intsAre(pool, "pads", 0, 0, 0, 0)
                && NodeAttributes.intsAre(pool, "dilations", 1, 1)
                && NodeAttributes.integer(pool, "ceil_mode", 0) == 0
                && !NodeAttributes.has(pool, "auto_pad");
    }

    private static boolean isPlainConvolution(NodeProto conv) {
        return NodeAttributes.integer(conv, "group", 1) == 1
                && NodeAttributes.intsAre(conv, "strides", 1, 1)
                && NodeAttributes.intsAre(conv, "dilations", 1, 1)
                && NodeAttributes.ints(conv, "pads", 0, 0, 0, 0).length == 4
                && !NodeAttributes.has(conv, "auto_pad");
    }

    /** Filters [4C, Cin, kh+1, kw+1]: group g = 2·dy + dx holds W shifted down dy rows and right dx columns. */
    private static float[] shiftedFilters(GraphEditor.Constant weight) {
        int channels = (int) weight.dim(0);
        int inputs = (int) weight.dim(1);
        int kh = (int) weight.dim(2);
        int kw = (int) weight.dim(3);
        float[] w = weight.data();
        float[] shifted = new float[(int) POSITIONS * channels * inputs * (kh + 1) * (kw + 1)];
        for (int g = 0; g < POSITIONS; g++) {
            int dy = g / 2;
            int dx = g % 2;
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < inputs; i++) {
                    for (int y = 0; y < kh; y++) {
                        for (int x = 0; x < kw; x++) {
                            int target = (((g * channels + c) * inputs + i) * (kh + 1) + y + dy) * (kw + 1) + x + dx;
                            shifted[target] = w[((c * inputs + i) * kh + y) * kw + x];
                        }
                    }
                }
            }
        }
        return shifted;
    }

    private static float[] repeated(float[] values, int times) {
        float[] out = new float[values.length * times];
        for (int t = 0; t < times; t++) {
            System.arraycopy(values, 0, out, t * values.length, values.length);
        }
        return out;
    }
}
