package dev.dualnet.exporter.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.ExportedModel;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.onnx.proto.Onnx.NodeProto;
import dev.dualnet.exporter.testing.ExportCheck;
import dev.dualnet.exporter.testing.OnnxChecker;
import dev.dualnet.exporter.testing.OnnxRuntimeRunner;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Pooling against the PyTorch engine. The spatial sizes are picked so that ceil mode matters: a
 * last window that hangs past the padded input (8 with kernel 3, stride 2, padding 1; 7 with
 * kernel 2, stride 3), and one that would start in the right padding, which PyTorch drops (5 with
 * kernel 2, stride 2, padding 1).
 */
class PoolingOpsTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "max {0} kernel {1} stride {2} pad {3} ceil {4} opset {5}")
    @CsvSource(delimiter = ';', value = {
        "8; 3; 2; 1; true; 13",
        "8; 3; 2; 1; false; 17",
        "5; 2; 2; 1; true; 18",
        "7; 2; 3; 0; true; 17",
        "6; 3; 4; 1; true; 13",
        "8,5; 3,2; 2,2; 1,1; true; 17",
        "8,5; 3,2; 2,2; 1,1; false; 18",
        "9,9; 3,3; 2,2; 1,1; true; 13",
        "4,7,5; 3,2,2; 2,3,2; 1,0,1; true; 17",
        "4,7,5; 3,2,2; 2,3,2; 1,0,1; false; 13",
    })
    void maxPool(String spatial, String kernel, String stride, String padding, boolean ceil, int opset)
            throws Exception {
        Block block = switch (shape(kernel).dimension()) {
            case 1 -> Pool.maxPool1dBlock(shape(kernel), shape(stride), shape(padding), ceil);
            case 2 -> Pool.maxPool2dBlock(shape(kernel), shape(stride), shape(padding), ceil);
            default -> Pool.maxPool3dBlock(shape(kernel), shape(stride), shape(padding), ceil);
        };
        check(block, "N,3," + spatial, opset);
    }

    @ParameterizedTest(name = "avg {0} kernel {1} stride {2} pad {3} ceil {4} countPad {5} opset {6}")
    @CsvSource(delimiter = ';', value = {
        "8; 3; 2; 1; true; true; 13",
        "8; 3; 2; 1; true; false; 18",
        "8; 3; 2; 1; false; false; 17",
        "5; 2; 2; 1; true; true; 17",
        "7; 2; 3; 0; true; true; 13",
        "6; 3; 1; 1; false; true; 17",
        "8,5; 3,2; 2,2; 1,1; true; true; 17",
        "8,5; 3,2; 2,2; 1,1; true; false; 13",
        "8,5; 3,2; 2,2; 1,1; false; false; 18",
        "7,7; 2,2; 2,2; 0,0; true; false; 17",
        "4,7,5; 3,2,2; 2,3,2; 1,0,1; true; true; 18",
        "4,7,5; 3,2,2; 2,3,2; 1,0,1; false; false; 13",
    })
    void avgPool(String spatial, String kernel, String stride, String padding, boolean ceil, boolean countPad,
            int opset) throws Exception {
        Block block = switch (shape(kernel).dimension()) {
            case 1 -> Pool.avgPool1dBlock(shape(kernel), shape(stride), shape(padding), ceil, countPad);
            case 2 -> Pool.avgPool2dBlock(shape(kernel), shape(stride), shape(padding), ceil, countPad);
            default -> Pool.avgPool3dBlock(shape(kernel), shape(stride), shape(padding), ceil, countPad);
        };
        check(block, "N,3," + spatial, opset);
    }

    /** The engine never passes {@code countIncludePad} on: false still divides by the whole padded window. */
    @Test
    void averageCountsPaddingEvenWhenToldNotTo() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(1, 1, 6));
            NDArray excluded = x.getNDArrayInternal().avgPool(new Shape(3), new Shape(2), new Shape(1), true, false);
            assertThat(excluded.toFloatArray()).containsExactly(1f, 3f, 5f, 3f);
        }
    }

    /**
     * Lp pooling through {@code Pool}'s blocks: p = 1 sums signed values, odd p gives NaN where a
     * window's sum of cubes is negative, even p is ONNX's LpPool; ceil mode scales a clipped window.
     */
    @ParameterizedTest(name = "lp p={0} {1} kernel {2} stride {3} ceil {4} opset {5}")
    @CsvSource(delimiter = ';', value = {
        "1; 7; 2; 2; false; 13",
        "1; 7; 2; 2; true; 17",
        "2; 7; 2; 2; false; 13",
        "2; 7; 2; 2; true; 18",
        "3; 7; 3; 2; true; 17",
        "3; 8; 3; 1; false; 13",
        "1.5; 6; 2; 2; false; 17",
        "1; 7,5; 2,2; 2,2; true; 13",
        "2; 7,5; 3,2; 2,2; false; 17",
        "2; 7,5; 3,2; 2,2; true; 13",
        "3; 7,5; 2,3; 2,2; true; 18",
        "4; 6,6; 2,2; 2,2; false; 17",
    })
    void lpPool(float p, String spatial, String kernel, String stride, boolean ceil, int opset) throws Exception {
        Block block = shape(kernel).dimension() == 1
                ? Pool.lpPool1dBlock(p, shape(kernel), shape(stride), new Shape(0), ceil)
                : Pool.lpPool2dBlock(p, shape(kernel), shape(stride), new Shape(0, 0), ceil);
        checkAllowingNaN(block, "N,3," + spatial, opset);
    }

    /** The engine accepts padding whose product is 0 and then ignores it. */
    @Test
    void lpPoolIgnoresPadding() throws Exception {
        checkAllowingNaN(Pool.lpPool2dBlock(1, new Shape(2, 2), new Shape(2, 2), new Shape(1, 0), true), "N,3,5,5",
                17);
    }

    @Test
    void lpPoolThroughNdArrayEx() throws Exception {
        Block block = new LambdaBlock(list -> new NDList(list.head().getNDArrayInternal()
                .lpPool(3, new Shape(2), new Shape(1), new Shape(0), false)));
        checkAllowingNaN(block, "N,3,6", 13);
    }

    @Test
    void lpPoolFailsIn3dAsTheEngineDoes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = Pool.lpPool3dBlock(2, new Shape(2, 2, 2), new Shape(1, 1, 1), new Shape(0, 0, 0));
            assertThatThrownBy(() -> ExportCheck.of(ready(block, DataType.FLOAT32, "N,3,3,3,3"), manager)
                    .input("x", DataType.FLOAT32, "N,3,3,3,3")
                    .batches(1).run(dir)).hasStackTraceContaining("3D lpPool is not supported");
        }
    }

    @ParameterizedTest(name = "global {0} of N,3,{1} opset {2}")
    @CsvSource(delimiter = ';', value = {
        "max; 7; 13",
        "max; 5,6; 17",
        "max; 3,4,5; 18",
        "avg; 7; 18",
        "avg; 5,6; 13",
        "avg; 3,4,5; 17",
    })
    void globalPool(String kind, String spatial, int opset) throws Exception {
        int rank = spatial.split(",").length;
        Block block = kind.equals("max")
                ? switch (rank) {
                    case 1 -> Pool.globalMaxPool1dBlock();
                    case 2 -> Pool.globalMaxPool2dBlock();
                    default -> Pool.globalMaxPool3dBlock();
                }
                : switch (rank) {
                    case 1 -> Pool.globalAvgPool1dBlock();
                    case 2 -> Pool.globalAvgPool2dBlock();
                    default -> Pool.globalAvgPool3dBlock();
                };
        check(block, "N,3," + spatial, opset);
    }

    @ParameterizedTest(name = "global lp p={0} of N,3,{1} opset {2}")
    @CsvSource(delimiter = ';', value = {
        "1; 7; 13",
        "2; 7; 17",
        "3; 5,6; 18",
        "2; 5,6; 13",
        "0.5; 4,4; 17",
    })
    void globalLpPool(float p, String spatial, int opset) throws Exception {
        Block block = spatial.contains(",") ? Pool.globalLpPool2dBlock(p) : Pool.globalLpPool1dBlock(p);
        checkAllowingNaN(block, "N,3," + spatial, opset);
    }

    @Test
    void globalPoolsReturnBatchByChannels() throws Exception {
        Block block = new LambdaBlock(list -> new NDList(list.head().getNDArrayInternal().globalMaxPool(),
                list.head().getNDArrayInternal().globalAvgPool(), list.head().getNDArrayInternal().globalLpPool(2)));
        try (NDManager manager = NDManager.newBaseManager();
                ExportedModel exported = OnnxExport.of(ready(block, DataType.FLOAT32, "N,4,5,6"))
                        .input("x", DataType.FLOAT32, "N,4,5,6").export()) {
            assertThat(exported.model().getGraph().getOutputList()).allSatisfy(output -> assertThat(
                    output.getType().getTensorType().getShape().getDimList()).hasSize(2));
            ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,4,5,6").batches(1, 7).run(dir);
        }
    }

    /**
     * A spatial size that stays dynamic: stride 1 and "same" padding keep it, and ceil mode changes
     * nothing there; the Lp case pools a fixed axis in ceil mode next to a dynamic one.
     */
    @ParameterizedTest(name = "dynamic length, {0} opset {1}")
    @CsvSource({"max, 13", "avg, 17", "lp, 18"})
    void dynamicLength(String kind, int opset) throws Exception {
        Block block = switch (kind) {
            case "max" -> Pool.maxPool1dBlock(new Shape(3), new Shape(1), new Shape(1), true);
            case "avg" -> Pool.avgPool1dBlock(new Shape(3), new Shape(1), new Shape(1), true, false);
            default -> Pool.lpPool2dBlock(1, new Shape(2, 1), new Shape(2, 1), new Shape(0, 0), true);
        };
        String shape = kind.equals("lp") ? "N,3,5,L" : "N,3,L";
        try (NDManager manager = NDManager.newBaseManager()) {
            ExportCheck.of(ready(block, DataType.FLOAT32, shape), manager).opset(opset)
                    .input("x", DataType.FLOAT32, shape)
                    .at(Map.of("N", 1L, "L", 4L)).at(Map.of("N", 7L, "L", 11L)).run(dir);
        }
    }

    /**
     * Ceil mode on a dynamic axis keeps ONNX's {@code ceil_mode}. A pooled length is no product of
     * the dynamic sizes, so the trace sizes give the same pooled length (5 from 8 and 9, kernel 3,
     * stride 2, padding 1; 5 from 9 and 10, kernel 2, stride 2), which the trace takes as fixed;
     * the runs are at those sizes, one with a clipped last window and one without.
     */
    @ParameterizedTest(name = "dynamic ceil mode, {0}")
    @CsvSource({"max", "avg", "lp"})
    void dynamicCeilMode(String kind) throws Exception {
        boolean padded = kind.equals("max");
        Block block = switch (kind) {
            case "max" -> Pool.maxPool1dBlock(new Shape(3), new Shape(2), new Shape(1), true);
            case "avg" -> Pool.avgPool1dBlock(new Shape(2), new Shape(2), new Shape(0), true, true);
            default -> Pool.lpPool1dBlock(1, new Shape(2), new Shape(2), new Shape(0), true);
        };
        long first = padded ? 8 : 9;
        try (NDManager manager = NDManager.newBaseManager()) {
            ExportCheck.Result result = ExportCheck.of(ready(block, DataType.FLOAT32, "N,3,L"), manager)
                    .input("x", DataType.FLOAT32, "N,3,L")
                    .traceSizes("L", first, first + 1).at(Map.of("N", 1L, "L", first))
                    .at(Map.of("N", 7L, "L", first + 1)).run(dir);
            assertThat(nodes(result.model())).anySatisfy(node -> assertThat(node.getAttributeList())
                    .anySatisfy(a -> assertThat(a.getName() + "=" + a.getI()).isEqualTo("ceil_mode=1")));
        }
    }

    @Test
    void averageInDynamicCeilModeWithPaddingIsRefused() {
        Block block = Pool.avgPool1dBlock(new Shape(3), new Shape(2), new Shape(1), true, true);
        assertThatThrownBy(() -> OnnxExport.of(ready(block, DataType.FLOAT32, "N,3,8"))
                .input("x", DataType.FLOAT32, "N,3,L").traceSizes("L", 8, 9)
                .export().close()).isInstanceOfSatisfying(OnnxExportException.class, e -> {
                    assertThat(e.reason()).isEqualTo(OnnxExportException.Reason.UNSUPPORTED_ARGUMENTS);
                    assertThat(e.getMessage()).contains("ceil mode", "dynamic spatial axis 0");
                });
    }

    /** Static ceil mode becomes floor mode with extra end padding, which every checker and runtime reads alike. */
    @Test
    void staticCeilModeIsWrittenAsPadding() throws Exception {
        Block block = Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), true);
        try (ExportedModel exported = OnnxExport.of(ready(block, DataType.FLOAT32, "N,3,8,8"))
                .input("x", DataType.FLOAT32, "N,3,8,8").export()) {
            NodeProto pool = exported.model().getGraph().getNodeList().stream()
                    .filter(n -> n.getOpType().equals("MaxPool")).findFirst().orElseThrow();
            assertThat(pool.getAttributeList()).noneMatch(a -> a.getName().equals("ceil_mode"))
                    .anySatisfy(a -> {
                        assertThat(a.getName()).isEqualTo("pads");
                        assertThat(a.getIntsList()).containsExactly(1L, 1L, 2L, 2L);
                    });
        }
    }

    @ParameterizedTest(name = "max pool of {0}")
    @CsvSource({"INT8", "UINT8", "INT32", "FLOAT64"})
    void maxPoolTypes(DataType type) throws Exception {
        Block block = Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), true);
        try (NDManager manager = NDManager.newBaseManager()) {
            ExportCheck.of(ready(block, type, "N,3,8,5"), manager)
                    .input("x", type, "N,3,8,5", ExportCheck.integers(100)).batches(1, 7)
                    .run(dir);
        }
    }

    @Test
    void maxPoolOfInt64IsRefused() {
        Block block = Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
        assertThatThrownBy(() -> OnnxExport.of(ready(block, DataType.INT64, "N,3,4,4"))
                .input("x", DataType.INT64, "N,3,4,4").export().close())
                .isInstanceOfSatisfying(OnnxExportException.class, e -> assertThat(e.getMessage()).contains("int64"));
    }

    /** PyTorch raises an integer array to a float power in float32. */
    @Test
    void lpPoolOfIntegers() throws Exception {
        Block block = Pool.lpPool2dBlock(1, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), true);
        try (NDManager manager = NDManager.newBaseManager()) {
            ExportCheck.of(ready(block, DataType.INT32, "N,3,5,5"), manager)
                    .input("x", DataType.INT32, "N,3,5,5", ExportCheck.integers(5)).batches(1, 7).run(dir);
        }
    }

    private void check(Block block, String shape, int opset) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ExportCheck.of(ready(block, DataType.FLOAT32, shape), manager).opset(opset)
                    .input("x", DataType.FLOAT32, shape).batches(1, 7).run(dir);
        }
    }

    /**
     * Like {@link ExportCheck}, for results that may hold NaN (Lp pooling of negative sums): NaN
     * must be where DJL has it, every other value within 1e-5.
     */
    private void checkAllowingNaN(Block block, String shape, int opset) throws Exception {
        Path model = dir.resolve("lp.onnx");
        try (ExportedModel exported = OnnxExport.of(ready(block, DataType.FLOAT32, shape)).opset(opset)
                .input("x", DataType.FLOAT32, shape).export()) {
            exported.write(model);
        }
        if (opset <= OnnxChecker.maxOpset()) {
            OnnxChecker.check(model);
        }
        List<Dim> dims = Dim.parseShape(shape);
        Random random = new Random(11);
        try (NDManager manager = NDManager.newBaseManager(); OnnxRuntimeRunner runtime = new OnnxRuntimeRunner(model)) {
            for (long batch : new long[] {1, 7}) {
                long[] sizes = dims.stream().mapToLong(d -> d.evaluate(s -> batch)).toArray();
                float[] values = new float[Math.toIntExact(new Shape(sizes).size())];
                for (int i = 0; i < values.length; i++) {
                    values[i] = random.nextFloat() * 2 - 1;
                }
                NDList in = new NDList(manager.create(values, new Shape(sizes)));
                NDArray expected = block.forward(new ParameterStore(manager, false), in, false).head();
                NDArray actual = runtime.run(in, manager).head();
                assertThat(actual.getShape()).isEqualTo(expected.getShape());
                assertThat(actual.getDataType()).isEqualTo(expected.getDataType());
                float[] e = expected.toFloatArray();
                float[] a = actual.toFloatArray();
                for (int i = 0; i < e.length; i++) {
                    if (Float.isNaN(e[i])) {
                        assertThat(a[i]).as("element %d at batch %d", i, batch).isNaN();
                    } else {
                        assertThat((double) a[i]).as("element %d at batch %d", i, batch)
                                .isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-5));
                    }
                }
            }
        }
    }

    private static List<NodeProto> nodes(Path model) throws Exception {
        return dev.dualnet.exporter.onnx.proto.Onnx.ModelProto.parseFrom(java.nio.file.Files.readAllBytes(model))
                .getGraph().getNodeList();
    }

    /** Initializes a block for an input shape (batch 1), as exporting needs. */
    private static Block ready(Block block, DataType type, String shape) {
        long[] sizes = Dim.parseShape(shape).stream().mapToLong(d -> d.isFixed() ? d.size() : 5).toArray();
        try (NDManager manager = NDManager.newBaseManager()) {
            block.initialize(manager, type, new Shape(sizes));
        }
        return block;
    }

    private static Shape shape(String text) {
        return new Shape(Arrays.stream(text.split(",")).map(String::strip).mapToLong(Long::parseLong).toArray());
    }
}
