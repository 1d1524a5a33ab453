package dev.dualnet.exporter.optimize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.exporter.OnnxExporter;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxGraph;
import dev.dualnet.exporter.graph.Value;
import dev.dualnet.exporter.onnx.proto.Onnx;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.RuntimeOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The pooled-convolution rewrite on small Conv → Relu → MaxPool graphs, and the reordering of
 * Conv → MaxPool → Relu that leads to it, run by ONNX Runtime before and after.
 */
class PooledConvolutionTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}->{1} channels, kernel {2}, padding {3}, {4}x{5} input")
    @CsvSource({
        "1, 6, 5, 0, 28, 28",
        "3, 5, 3, 1, 11, 11", // odd convolution output: pooling drops the last row and column
        "2, 4, 3, 0, 9, 12",
        "6, 12, 5, 2, 12, 12"
    })
    void computesTheSamePooledActivations(int inputs, int channels, int kernel, int padding, int height, int width)
            throws Exception {
        Onnx.ModelProto literal = convReluPool(inputs, channels, kernel, padding, height, width, 1, false);
        GraphOptimizer.Result rewritten = GraphOptimizer.standard().optimize(literal);

        assertThat(rewritten.applied()).containsEntry("pooled-convolution", 1);
        assertThat(rewritten.model().getGraph().getNodeList()).extracting(Onnx.NodeProto::getOpType)
                .containsExactly("Conv", "Relu", "Reshape", "MaxPool", "Reshape");
        assertSameOutputs(literal, rewritten.model(), new long[] {3, inputs, height, width});
    }

    private void assertSameOutputs(Onnx.ModelProto literal, Onnx.ModelProto rewritten, long[] shape) throws Exception {
        float[] input = random((int) (shape[0] * shape[1] * shape[2] * shape[3]));
        float[] expected = run(literal, input, shape);
        float[] actual = run(rewritten, input, shape);
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("element " + i).isCloseTo(expected[i],
                    org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void poolingBeforeReluIsReorderedThenPooled() throws Exception {
        Onnx.ModelProto literal = convPoolRelu(1, 6, 5, 0, 28, 28);
        GraphOptimizer.Result rewritten = GraphOptimizer.standard().optimize(literal);

        assertThat(rewritten.applied()).containsEntry("relu-before-max-pool", 1).containsEntry("pooled-convolution", 1);
        assertThat(rewritten.model().getGraph().getNodeList()).extracting(Onnx.NodeProto::getOpType)
                .containsExactly("Conv", "Relu", "Reshape", "MaxPool", "Reshape");
        assertSameOutputs(literal, rewritten.model(), new long[] {3, 1, 28, 28});
    }

    @Test
    void reluMovesAheadOfAPoolOnWideConvolutions() throws Exception {
        int channels = (int) PooledConvolution.MAX_CHANNELS;
        Onnx.ModelProto literal = convPoolRelu(2, channels, 3, 1, 9, 11);
        GraphOptimizer.Result rewritten = GraphOptimizer.standard().optimize(literal);

        assertThat(rewritten.applied()).containsOnlyKeys("relu-before-max-pool");
        Onnx.GraphProto graph = rewritten.model().getGraph();
        assertThat(graph.getNodeList()).extracting(Onnx.NodeProto::getOpType).containsExactly("Conv", "Relu", "MaxPool");
        assertThat(graph.getValueInfoList()).filteredOn(v -> v.getName().equals(graph.getNode(1).getOutput(0)))
                .singleElement().extracting(v -> v.getType().getTensorType().getShape().getDimCount()).isEqualTo(4);
        assertSameOutputs(literal, rewritten.model(), new long[] {3, 2, 9, 11});
    }

    @Test
    void leavesWideStridedOrSharedConvolutionsAlone() {
        Onnx.ModelProto wide = convReluPool(1, (int) PooledConvolution.MAX_CHANNELS, 3, 0, 10, 10, 1, false);
        Onnx.ModelProto strided = convReluPool(1, 4, 3, 0, 21, 21, 2, false);
        Onnx.ModelProto shared = convReluPool(1, 4, 3, 0, 10, 10, 1, true);
        for (Onnx.ModelProto model : List.of(wide, strided, shared)) {
            GraphOptimizer.Result result = GraphOptimizer.standard().optimize(model);
            assertThat(result.applied()).isEmpty();
            assertThat(result.model()).isSameAs(model);
        }
    }

    /** x → Conv → Relu → MaxPool 2×2 → y; with {@code reluIsOutput} the Relu's output is a graph output too. */
    private static Onnx.ModelProto convReluPool(int inputs, int channels, int kernel, int padding, int height,
            int width, int stride, boolean reluIsOutput) {
        OnnxGraph graph = new OnnxGraph("g", "");
        Value x = graph.input("x", OnnxGraph.FLOAT, new long[] {Value.BATCH, inputs, height, width}, "");
        Value w = graph.initializer("w", random(channels * inputs * kernel * kernel), channels, inputs, kernel, kernel);
        Value b = graph.initializer("b", random(channels), channels);
        long ch = (height + 2 * padding - kernel) / stride + 1;
        long cw = (width + 2 * padding - kernel) / stride + 1;
        Value conv = graph.node("Conv", List.of(x, w, b), Attributes.none().ints("kernel_shape", kernel, kernel)
                .ints("strides", stride, stride).ints("pads", padding, padding, padding, padding), "c",
                OnnxGraph.FLOAT, new long[] {Value.BATCH, channels, ch, cw});
        Value relu = graph.node("Relu", List.of(conv), Attributes.none(), "r", OnnxGraph.FLOAT, conv.shape());
        Value pool = graph.node("MaxPool", List.of(relu), Attributes.none().ints("kernel_shape", 2, 2)
                .ints("strides", 2, 2), "y", OnnxGraph.FLOAT, new long[] {Value.BATCH, channels, ch / 2, cw / 2});
        graph.output(pool, "");
        if (reluIsOutput) {
            graph.output(relu, "");
        }
        return model(graph);
    }

    /** x → Conv → MaxPool 2×2 → Relu → y. */
    private static Onnx.ModelProto convPoolRelu(int inputs, int channels, int kernel, int padding, int height,
            int width) {
        OnnxGraph graph = new OnnxGraph("g", "");
        Value x = graph.input("x", OnnxGraph.FLOAT, new long[] {Value.BATCH, inputs, height, width}, "");
        Value w = graph.initializer("w", random(channels * inputs * kernel * kernel), channels, inputs, kernel, kernel);
        Value b = graph.initializer("b", random(channels), channels);
        long ch = height + 2 * padding - kernel + 1;
        long cw = width + 2 * padding - kernel + 1;
        Value conv = graph.node("Conv", List.of(x, w, b), Attributes.none().ints("kernel_shape", kernel, kernel)
                .ints("pads", padding, padding, padding, padding), "c", OnnxGraph.FLOAT,
                new long[] {Value.BATCH, channels, ch, cw});
        Value pool = graph.node("MaxPool", List.of(conv), Attributes.none().ints("kernel_shape", 2, 2)
                .ints("strides", 2, 2), "p", OnnxGraph.FLOAT, new long[] {Value.BATCH, channels, ch / 2, cw / 2});
        graph.output(graph.node("Relu", List.of(pool), Attributes.none(), "y", OnnxGraph.FLOAT, pool.shape()), "");
        return model(graph);
    }

    private static Onnx.ModelProto model(OnnxGraph graph) {
        return Onnx.ModelProto.newBuilder().setIrVersion(OnnxExporter.IR_VERSION)
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OnnxExporter.OPSET))
                .setGraph(graph.build()).build();
    }

    private float[] run(Onnx.ModelProto model, float[] input, long[] shape) throws Exception {
        Path file = Files.createTempFile(dir, "model", ".onnx");
        Files.write(file, model.toByteArray());
        try (OnnxModel onnx = OnnxModel.load(file, RuntimeOptions.defaults())) {
            Map<String, NamedTensor> out = onnx.run(List.of(new NamedTensor("x", ElementType.FP32, shape, input)),
                    Set.of("y"));
            return (float[]) out.get("y").data();
        }
    }

    private static float[] random(int count) {
        Random random = new Random(count);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
