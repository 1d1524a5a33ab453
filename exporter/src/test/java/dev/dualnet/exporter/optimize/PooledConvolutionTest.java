package dev.dualnet.exporter.optimize;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.ElementTypes;
import dev.dualnet.exporter.graph.GraphBuilder;
import dev.dualnet.exporter.graph.ModelAssembly;
import dev.dualnet.exporter.graph.OnnxOperator;
import dev.dualnet.exporter.graph.TensorData;
import dev.dualnet.exporter.onnx.proto.Onnx;
import dev.dualnet.exporter.testing.OnnxRuntimeRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
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

    private static final int FLOAT = ElementTypes.onnx(DataType.FLOAT32);

    /** x → Conv → Relu → MaxPool 2×2 → y; with {@code reluIsOutput} the Relu's output is a graph output too. */
    private static Onnx.ModelProto convReluPool(int inputs, int channels, int kernel, int padding, int height,
            int width, int stride, boolean reluIsOutput) {
        GraphBuilder graph = new GraphBuilder("g", 17);
        graph.reserve("y");
        if (reluIsOutput) {
            graph.reserve("r");
        }
        graph.input("x", FLOAT, List.of(Dim.named("N"), Dim.of(inputs), Dim.of(height), Dim.of(width)), "");
        String w = weights(graph, "w", channels, inputs, kernel, kernel);
        String b = weights(graph, "b", channels);
        long ch = (height + 2 * padding - kernel) / stride + 1;
        long cw = (width + 2 * padding - kernel) / stride + 1;
        String conv = graph.node(OnnxOperator.CONV, List.of("x", w, b), Attributes.none()
                .ints("kernel_shape", kernel, kernel).ints("strides", stride, stride)
                .ints("pads", padding, padding, padding, padding));
        List<Dim> convShape = shape(channels, ch, cw);
        graph.valueInfo(conv, FLOAT, convShape);
        String relu = graph.node(OnnxOperator.RELU, List.of(conv), Attributes.none());
        graph.valueInfo(relu, FLOAT, convShape);
        String pool = graph.node(OnnxOperator.MAX_POOL, List.of(relu), Attributes.none().ints("kernel_shape", 2, 2)
                .ints("strides", 2, 2));
        graph.output(pool, "y", FLOAT, shape(channels, ch / 2, cw / 2), "");
        if (reluIsOutput) {
            graph.output(relu, "r", FLOAT, convShape, "");
        }
        return model(graph);
    }

    /** x → Conv → MaxPool 2×2 → Relu → y. */
    private static Onnx.ModelProto convPoolRelu(int inputs, int channels, int kernel, int padding, int height,
            int width) {
        GraphBuilder graph = new GraphBuilder("g", 17);
        graph.reserve("y");
        graph.input("x", FLOAT, List.of(Dim.named("N"), Dim.of(inputs), Dim.of(height), Dim.of(width)), "");
        String w = weights(graph, "w", channels, inputs, kernel, kernel);
        String b = weights(graph, "b", channels);
        long ch = height + 2 * padding - kernel + 1;
        long cw = width + 2 * padding - kernel + 1;
        String conv = graph.node(OnnxOperator.CONV, List.of("x", w, b), Attributes.none()
                .ints("kernel_shape", kernel, kernel).ints("pads", padding, padding, padding, padding));
        graph.valueInfo(conv, FLOAT, shape(channels, ch, cw));
        String pool = graph.node(OnnxOperator.MAX_POOL, List.of(conv), Attributes.none().ints("kernel_shape", 2, 2)
                .ints("strides", 2, 2));
        graph.valueInfo(pool, FLOAT, shape(channels, ch / 2, cw / 2));
        String relu = graph.node(OnnxOperator.RELU, List.of(pool), Attributes.none());
        graph.output(relu, "y", FLOAT, shape(channels, ch / 2, cw / 2), "");
        return model(graph);
    }

    private static List<Dim> shape(long channels, long height, long width) {
        return List.of(Dim.named("N"), Dim.of(channels), Dim.of(height), Dim.of(width));
    }

    private static String weights(GraphBuilder graph, String name, long... dims) {
        int count = 1;
        for (long dim : dims) {
            count *= (int) dim;
        }
        return graph.initializer(name, FLOAT, dims, TensorData.of(GraphBuilder.littleEndian(random(count))));
    }

    private static Onnx.ModelProto model(GraphBuilder graph) {
        return new ModelAssembly(graph, new ModelAssembly.Header(17, "test", "0", "", Map.of()), "").inline();
    }

    private float[] run(Onnx.ModelProto model, float[] input, long[] shape) throws Exception {
        Path file = Files.createTempFile(dir, "model", ".onnx");
        Files.write(file, model.toByteArray());
        try (OnnxRuntimeRunner runtime = new OnnxRuntimeRunner(file); NDManager manager = NDManager.newBaseManager()) {
            NDList out = runtime.run(new NDList(manager.create(input, new Shape(shape))), manager);
            return out.get(0).toFloatArray();
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
