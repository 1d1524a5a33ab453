package dev.dualnet.exporter.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.modality.nlp.embedding.TrainableWordEmbedding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv1dTranspose;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv2dTranspose;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.GhostBatchNorm;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.Pair;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.ExportedModel;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.onnx.proto.Onnx.NodeProto;
import dev.dualnet.exporter.testing.ExportCheck;
import java.nio.DoubleBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Linear, convolution, batch and layer normalization, embedding and dropout through DJL's own
 * blocks, with random weights and biases and running statistics away from 0 and 1, against DJL's
 * PyTorch results at batch 1 and 7.
 */
class NeuralNetworkOpsTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "conv {0} kernel {1} stride {2} pad {3} dilation {4} groups {5} filters {6} bias {7}"
            + " opset {8}")
    @CsvSource(delimiter = ';', value = {
        "9; 3; 1; 0; 1; 1; 6; true; 13",
        "9; 3; 2; 1; 1; 2; 6; false; 17",
        "10; 2; 3; 2; 2; 4; 8; true; 18",
        "7,8; 3,3; 1,1; 1,1; 1,1; 1; 5; true; 13",
        "7,8; 3,2; 2,1; 1,0; 1,2; 2; 6; false; 17",
        "9,9; 3,3; 2,2; 2,2; 2,2; 4; 4; true; 18",
        "8,7; 2,2; 3,3; 0,0; 1,1; 1; 3; true; 13",
        "6,6; 1,1; 1,1; 0,0; 1,1; 1; 3; false; 17",
        "4,5,6; 3,3,3; 1,1,1; 1,1,1; 1,1,1; 1; 3; true; 17",
        "5,6,5; 2,3,2; 2,1,2; 0,1,1; 1,2,1; 2; 4; false; 13",
        "5,5,5; 3,3,3; 2,2,2; 1,1,1; 1,1,1; 4; 4; true; 18",
    })
    void convolution(String spatial, String kernel, String stride, String padding, String dilation, int groups,
            int filters, boolean bias, int opset) throws Exception {
        Convolution.ConvolutionBuilder<?> builder = switch (shape(kernel).dimension()) {
            case 1 -> Conv1d.builder();
            case 2 -> Conv2d.builder();
            default -> Conv3d.builder();
        };
        builder.setKernelShape(shape(kernel)).optStride(shape(stride)).optPadding(shape(padding))
                .optDilation(shape(dilation)).optGroups(groups).setFilters(filters).optBias(bias);
        Block block = switch (shape(kernel).dimension()) {
            case 1 -> ((Conv1d.Builder) builder).build();
            case 2 -> ((Conv2d.Builder) builder).build();
            default -> ((Conv3d.Builder) builder).build();
        };
        check(block, "N,4," + spatial, opset);
    }

    /** PyTorch takes one stride, padding or dilation for every spatial axis. */
    @ParameterizedTest(name = "spatial {0} opset {1}")
    @CsvSource({"1, 13", "2, 17", "3, 18"})
    void convolutionWithOneValueForAllAxes(int rank, int opset) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = normal(manager, new Shape(4, 2).addAll(new Shape(IntStream.range(0, rank)
                    .mapToLong(i -> 3).toArray())), 0.5f);
            NDArray bias = normal(manager, new Shape(4), 0.5f);
            Block block = lambda(manager, list -> list.head().getNDArrayInternal().convolution(list.head(), weight,
                    bias, new Shape(2), new Shape(1), new Shape(2), 2), "N,4" + ",7".repeat(rank));
            ExportCheck.of(block, manager).opset(opset).input("x", DataType.FLOAT32, "N,4" + ",7".repeat(rank))
                    .batches(1, 7).run(dir);
        }
    }

    /** A dynamic length stays dynamic where the convolution keeps it ("same" padding, stride 1). */
    @Test
    void convolutionOfDynamicLength() throws Exception {
        Block block = Conv1d.builder().setKernelShape(new Shape(3)).optPadding(new Shape(1)).setFilters(5).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            ExportCheck.of(ready(block, manager, DataType.FLOAT32, "N,4,9"), manager)
                    .input("x", DataType.FLOAT32, "N,4,L")
                    .at(Map.of("N", 1L, "L", 4L)).at(Map.of("N", 7L, "L", 11L)).run(dir);
        }
    }

    /** The PyTorch engine has no transposed convolution: DJL's own forward pass fails, and so does the export. */
    @ParameterizedTest(name = "{0}-D")
    @ValueSource(ints = {1, 2})
    void transposedConvolutionFailsAsTheEngineDoes(int rank) {
        Block block = rank == 1
                ? Conv1dTranspose.builder().setKernelShape(new Shape(3)).setFilters(4).optStride(new Shape(2)).build()
                : Conv2dTranspose.builder().setKernelShape(new Shape(3, 3)).setFilters(4).optStride(new Shape(2, 2))
                        .optPadding(new Shape(1, 1)).optOutPadding(new Shape(1, 1)).build();
        String shape = "N,4" + ",5".repeat(rank);
        try (NDManager manager = NDManager.newBaseManager()) {
            ready(block, manager, DataType.FLOAT32, shape);
            assertThatThrownBy(() -> OnnxExport.of(block).input("x", DataType.FLOAT32, shape).export().close())
                    .isInstanceOfSatisfying(OnnxExportException.class, e -> {
                        assertThat(e.reason()).isEqualTo(OnnxExportException.Reason.FORWARD_FAILED);
                        assertThat(e.getMessage()).contains("PyTorch engine does not implement NDArrayEx.deconvolution",
                                "Conv2dTranspose", "cannot run in DJL");
                    });
            assertThatThrownBy(() -> block.forward(new ParameterStore(manager, false),
                    new NDList(manager.zeros(new Shape(Dim.parseShape(shape.replace("N", "1")).stream()
                            .mapToLong(Dim::size).toArray()))), false))
                    .isInstanceOf(UnsupportedOperationException.class);
        }
    }

    @ParameterizedTest(name = "linear {0} bias {1} opset {2}")
    @CsvSource(delimiter = ';', value = {
        "N,5; true; 13",
        "N,5; false; 17",
        "N,4,5; true; 17",
        "N,4,5; false; 13",
        "N,2,3,5; true; 18",
        "5; true; 17",
        "5; false; 13",
    })
    void linear(String shape, boolean bias, int opset) throws Exception {
        check(Linear.builder().setUnits(3).optBias(bias).build(), shape, opset);
    }

    @ParameterizedTest(name = "batch norm {0} axis {1} center {2} scale {3} epsilon {4} opset {5}")
    @CsvSource(delimiter = ';', value = {
        "N,3; 1; true; true; 1e-5; 13",
        "N,3,6; 1; true; true; 1e-5; 17",
        "N,3,6; 2; true; true; 1e-5; 18",
        "N,3,4,5; 1; true; true; 1e-5; 17",
        "N,3,4,5; 3; true; true; 1e-5; 13",
        "N,3,4,5; 2; false; true; 1e-5; 17",
        "N,3,4,5; 1; true; false; 1e-5; 17",
        "N,3,4,5; 1; false; false; 0.1; 18",
        "N,3,2,4,5; 1; true; true; 1e-3; 17",
        "N,3,2,4,5; 4; true; true; 1e-5; 13",
    })
    void batchNorm(String shape, int axis, boolean center, boolean scale, float epsilon, int opset) throws Exception {
        check(BatchNorm.builder().optAxis(axis).optCenter(center).optScale(scale).optEpsilon(epsilon).build(), shape,
                opset);
    }

    /**
     * Through {@code NDArrayEx}: the PyTorch engine normalizes over axis 1 when given -1, and swaps any other
     * axis (negative ones too) into place.
     */
    @ParameterizedTest(name = "axis {0} of {1}")
    @CsvSource(delimiter = ';', value = {"-1; N,3,4,5", "-1; N,3", "-2; N,3,4,5", "-1; N,5,3,4", "3; N,5,3,4"})
    void batchNormThroughNdArrayEx(int axis, String shape) throws Exception {
        List<Dim> dims = Dim.parseShape(shape);
        long channels = axis == -1 ? dims.get(1).size() : dims.get(axis < 0 ? axis + dims.size() : axis).size();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray mean = uniform(manager, channels, -0.5f, 0.5f);
            NDArray variance = uniform(manager, channels, 0.25f, 1.5f);
            NDArray gamma = uniform(manager, channels, 0.5f, 1.5f);
            NDArray beta = uniform(manager, channels, -0.5f, 0.5f);
            Block block = lambda(manager, list -> BatchNorm.batchNorm(list.head(), mean, variance, gamma, beta, axis,
                    0.9f, 1e-3f, false), shape);
            ExportCheck.of(block, manager).input("x", DataType.FLOAT32, shape).batches(1, 7).run(dir);
        }
    }

    /** DJL's BatchNorm block sizes its parameters with {@code Shape.size(axis)}, which refuses -1. */
    @Test
    void batchNormBlockRefusesAxisMinusOne() {
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> ready(BatchNorm.builder().optAxis(-1).build(), manager, DataType.FLOAT32,
                    "N,3,4")).hasMessageContaining("Invalid dimension -1");
        }
    }

    /**
     * float64 layers are computed in float64, as PyTorch computes them. (ONNX Runtime has no float64
     * Conv kernel, so convolutions are left out here; the graph is valid ONNX all the same.)
     */
    @ParameterizedTest(name = "{0} opset {1}")
    @CsvSource({"linear, 13", "linear3d, 17", "batchNorm, 13", "batchNorm, 18", "layerNorm, 13",
        "layerNorm, 17", "layerNorm, 18"})
    void doublePrecision(String layer, int opset) throws Exception {
        Block block = switch (layer) {
            case "linear", "linear3d" -> Linear.builder().setUnits(3).build();
            case "batchNorm" -> BatchNorm.builder().build();
            default -> LayerNorm.builder().build();
        };
        String shape = switch (layer) {
            case "linear" -> "N,5";
            case "linear3d" -> "N,4,5";
            default -> "N,3,4";
        };
        try (NDManager manager = NDManager.newBaseManager()) {
            ExportCheck.of(ready(block, manager, DataType.FLOAT64, shape), manager).opset(opset).tolerance(1e-12)
                    .input("x", DataType.FLOAT64, shape).batches(1, 7).run(dir);
        }
    }

    /** Ghost batch norm at inference is batch norm: one virtual batch as large as the batch. */
    @ParameterizedTest(name = "{0} opset {1}")
    @CsvSource(delimiter = ';', value = {"N,3,4,5; 13", "N,3; 18"})
    void ghostBatchNorm(String shape, int opset) throws Exception {
        check(GhostBatchNorm.builder().optEpsilon(1e-3f).build(), shape, opset);
    }

    /**
     * A virtual batch smaller than the default trace sizes, with trace sizes that fit in one. Above
     * the virtual batch size DJL's own result changes shape (it stacks the virtual batches and
     * squeezes an axis that is no longer 1), so the export holds up to that size.
     */
    @Test
    void ghostBatchNormWithSmallVirtualBatch() throws Exception {
        Block block = GhostBatchNorm.builder().optVirtualBatchSize(4).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            ExportCheck.Result result = ExportCheck.of(ready(block, manager, DataType.FLOAT32, "N,3,4"), manager)
                    .input("x", DataType.FLOAT32, "N,3,4").traceSizes("N", 3, 4).batches(1, 2, 4).run(dir);
            assertThat(result.maxErrors()).hasSize(3);
            NDArray eight = manager.ones(new Shape(8, 3, 4));
            assertThat(block.forward(new ParameterStore(manager, false), new NDList(eight), false)
                    .head().getShape()).isEqualTo(new Shape(2, 4, 3, 4));
        }
    }

    /** Trace sizes above the virtual batch size: DJL cannot split 3 evenly in two, or splits 4 in two. */
    @ParameterizedTest(name = "trace sizes {0}, {1}")
    @CsvSource({"2, 3, cannot be evenly split", "2, 4, runs different operations at the two trace sizes"})
    void ghostBatchNormSmallerThanTheTraceSizes(long first, long second, String message) {
        Block block = GhostBatchNorm.builder().optVirtualBatchSize(2).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            ready(block, manager, DataType.FLOAT32, "N,3,4");
            assertThatThrownBy(() -> OnnxExport.of(block).input("x", DataType.FLOAT32, "N,3,4")
                    .traceSizes("N", first, second).export().close())
                    .isInstanceOfSatisfying(OnnxExportException.class, e -> assertThat(e.getMessage())
                            .contains(message));
        }
    }

    @ParameterizedTest(name = "layer norm {0} axes {1} center {2} scale {3} opset {4}")
    @CsvSource(delimiter = ';', value = {
        "N,6; ; true; true; 13",
        "N,6; ; true; true; 17",
        "N,4,6; 2; true; true; 13",
        "N,4,6; 2; true; true; 16",
        "N,4,6; 2; true; true; 17",
        "N,4,6; 2; false; true; 18",
        "N,4,6; ; true; true; 13",
        "N,4,6; ; true; false; 17",
        "N,4,6; 1,2; false; false; 18",
        "N,3,4,5; 2,3; true; true; 13",
        "N,3,4,5; 2,3; true; true; 18",
        "N,3,4,5; ; false; false; 15",
        "N,3,4,5; ; true; true; 17",
    })
    void layerNorm(String shape, String axes, boolean center, boolean scale, int opset) throws Exception {
        LayerNorm.Builder builder = LayerNorm.builder().optCenter(center).optScale(scale);
        if (axes != null) {
            builder.axis(Arrays.stream(axes.split(",")).mapToInt(Integer::parseInt).toArray());
        }
        check(builder.build(), shape, opset);
    }

    /** An epsilon as large as the variance changes the result. */
    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {13, 17})
    void layerNormEpsilon(int opset) throws Exception {
        Block block = LayerNorm.builder().optEpsilon(0.05f).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            ExportCheck.of(ready(block, manager, DataType.FLOAT32, "N,8"), manager).opset(opset)
                    .input("x", DataType.FLOAT32, "N,8", (m, s, r) -> normal(m, s, 0.2f)).batches(1, 7).run(dir);
        }
    }

    @ParameterizedTest(name = "{0} indices of {1} opset {2}")
    @CsvSource(delimiter = ';', value = {"INT64; N; 13", "INT32; N; 17", "INT64; N,5; 17", "INT32; N,5; 18"})
    void embedding(DataType type, String shape, int opset) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = TrainableWordEmbedding.fromPretrained(normal(manager, new Shape(10, 4), 1f),
                    IntStream.range(0, 10).mapToObj(i -> "w" + i).toList());
            ExportCheck.of(block, manager).opset(opset).input("ids", type, shape, ExportCheck.integers(10))
                    .batches(1, 7).run(dir);
        }
    }

    @ParameterizedTest(name = "{0} indices")
    @ValueSource(strings = {"INT64", "INT32"})
    void embeddingThroughNdArrayEx(DataType type) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray table = normal(manager, new Shape(7, 3), 1f);
            Block block = new LambdaBlock(list -> list.head().getNDArrayInternal().embedding(list.head(), table,
                    SparseFormat.DENSE));
            ExportCheck.of(block, manager).input("ids", type, "N,2,3", ExportCheck.integers(7)).batches(1, 7).run(dir);
        }
    }

    /** Dropout leaves no node at inference. */
    @Test
    void dropoutDisappears() throws Exception {
        SequentialBlock block = new SequentialBlock().add(Linear.builder().setUnits(4).build())
                .add(Dropout.builder().optRate(0.5f).build()).add(Linear.builder().setUnits(2).build());
        try (NDManager manager = NDManager.newBaseManager()) {
            ready(block, manager, DataType.FLOAT32, "N,3");
            try (ExportedModel exported = OnnxExport.of(block).input("x", DataType.FLOAT32, "N,3").export()) {
                assertThat(exported.model().getGraph().getNodeList()).extracting(NodeProto::getOpType)
                        .containsExactly("Gemm", "Gemm");
            }
            ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,3").batches(1, 7).run(dir);
        }
    }

    /** Alone, dropout is the input passed on: the one Identity that names the output. */
    @Test
    void dropoutAlone() throws Exception {
        Block block = Dropout.builder().optRate(0.3f).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            ready(block, manager, DataType.FLOAT32, "N,3");
            try (ExportedModel exported = OnnxExport.of(block).input("x", DataType.FLOAT32, "N,3").export()) {
                assertThat(exported.model().getGraph().getNodeList()).singleElement().satisfies(node -> {
                    assertThat(node.getOpType()).isEqualTo("Identity");
                    assertThat(node.getInputList()).containsExactly("x");
                });
            }
            ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,3").batches(1, 7).run(dir);
        }
    }

    private static Shape shape(String text) {
        return new Shape(Arrays.stream(text.split(",")).map(String::strip).mapToLong(Long::parseLong).toArray());
    }

    private void check(Block block, String shape, int opset) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ExportCheck.of(ready(block, manager, DataType.FLOAT32, shape), manager).opset(opset)
                    .input("x", DataType.FLOAT32, shape).batches(1, 7).run(dir);
        }
    }

    private static Block lambda(NDManager manager, Function<NDList, NDList> function,
            String shape) {
        Block block = new LambdaBlock(function);
        long[] sizes = Dim.parseShape(shape).stream().mapToLong(d -> d.isFixed() ? d.size() : 2).toArray();
        block.initialize(manager, DataType.FLOAT32, new Shape(sizes));
        return block;
    }

    private static NDArray normal(NDManager manager, Shape shape, float sigma) {
        Random random = new Random(5);
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * sigma;
        }
        return manager.create(values, shape);
    }

    private static NDArray uniform(NDManager manager, long size, float low, float high) {
        Random random = new Random(size * 31 + (long) (low * 100));
        float[] values = new float[Math.toIntExact(size)];
        for (int i = 0; i < values.length; i++) {
            values[i] = low + random.nextFloat() * (high - low);
        }
        return manager.create(values);
    }

    /** Initializes a block for an input shape (batch 2) with random weights, biases and normalization statistics. */
    private static Block ready(Block block, NDManager manager, DataType type, String shape) {
        block.setInitializer(new NormalInitializer(0.5f), Parameter.Type.WEIGHT);
        block.setInitializer(new NormalInitializer(0.5f), Parameter.Type.BIAS);
        long[] sizes = Dim.parseShape(shape).stream().mapToLong(d -> d.isFixed() ? d.size() : 2).toArray();
        block.initialize(manager, type, new Shape(sizes));
        Random random = new Random(3);
        for (Pair<String, Parameter> pair : block.getParameters()) {
            Parameter parameter = pair.getValue();
            float[] range = switch (parameter.getType()) {
                case GAMMA -> new float[] {0.5f, 1.5f};
                case BETA, RUNNING_MEAN -> new float[] {-0.5f, 0.5f};
                case RUNNING_VAR -> new float[] {0.25f, 1.5f};
                default -> null;
            };
            if (range == null) {
                continue;
            }
            NDArray array = parameter.getArray();
            float[] values = new float[Math.toIntExact(array.size())];
            double[] doubles = new double[values.length];
            for (int i = 0; i < values.length; i++) {
                values[i] = range[0] + random.nextFloat() * (range[1] - range[0]);
                doubles[i] = values[i];
            }
            if (array.getDataType() == DataType.FLOAT64) {
                array.set(DoubleBuffer.wrap(doubles));
            } else {
                array.set(values);
            }
        }
        return block;
    }
}
