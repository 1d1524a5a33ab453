package dev.dualnet.exporter.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Named.named;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.onnx.proto.Onnx.ModelProto;
import dev.dualnet.exporter.onnx.proto.Onnx.NodeProto;
import dev.dualnet.exporter.testing.ExportCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Arrays made by the input's manager against DJL's PyTorch results at batch 1 and 7: with fixed
 * shapes they fold into initializers, with shapes from the dynamic batch they are computed
 * (ConstantOfShape, Range); one-hot encodings of int32 and int64 indices.
 */
class CreationOpsTest {
    @TempDir
    Path dir;

    /** One DJL call on the input; its result (an array or an NDList) is the block's output. */
    private interface Call extends Function<NDArray, Object> {}

    private static Arguments call(String name, Call call, Object... more) {
        Object[] arguments = new Object[more.length + 1];
        arguments[0] = named(name, call);
        System.arraycopy(more, 0, arguments, 1, more.length);
        return Arguments.of(arguments);
    }

    private static long n(NDArray x) {
        return x.getShape().get(0);
    }

    private static Block block(Call call) {
        return new LambdaBlock(list -> {
            Object result = call.apply(list.head());
            return result instanceof NDList many ? many : new NDList((NDArray) result);
        });
    }

    private ExportCheck.Result check(Call call, DataType type, String shape, int opset) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            return ExportCheck.of(block(call), manager).input("x", type, shape, ExportCheck.integers(4)).opset(opset)
                    .batches(1, 7).run(dir);
        }
    }

    private static List<String> opTypes(Call call, DataType type, String shape) {
        ModelProto model = OnnxExport.of(block(call)).input("x", type, shape).toModel();
        return model.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
    }

    private static final Device CPU = Device.cpu();

    /** Fixed shapes: every overload folds into a constant the input is added to. */
    static Stream<Arguments> fixedShapes() {
        Shape s = new Shape(3, 4);
        return Stream.of(
                call("zeros(Shape)", x -> x.add(x.getManager().zeros(s))),
                call("zeros(Shape, int32)", x -> x.add(x.getManager().zeros(s, DataType.INT32))),
                call("zeros(Shape, float64, Device)", x -> x.add(x.getManager().zeros(s, DataType.FLOAT64, CPU))),
                call("ones(Shape)", x -> x.add(x.getManager().ones(s))),
                call("ones(Shape, int64)", x -> x.add(x.getManager().ones(s, DataType.INT64))),
                call("ones(Shape, float32, Device)", x -> x.add(x.getManager().ones(s, DataType.FLOAT32, CPU))),
                call("full(Shape, 2.5f)", x -> x.add(x.getManager().full(s, 2.5f))),
                call("full(Shape, 3)", x -> x.add(x.getManager().full(s, 3))),
                call("full(Shape, -1.5f, float64)", x -> x.add(x.getManager().full(s, -1.5f, DataType.FLOAT64))),
                call("full(Shape, 7f, float32, Device)", x -> x.add(x.getManager().full(s, 7f, DataType.FLOAT32, CPU))),
                call("arange(4)", x -> x.add(x.getManager().arange(4))),
                call("arange(0.5f, 4.5f)", x -> x.add(x.getManager().arange(0.5f, 4.5f))),
                call("create(float[])", x -> x.add(x.getManager().create(new float[] {1, -2, 3.5f, 4}))),
                call("create(int[])", x -> x.add(x.getManager().create(new int[] {1, -2, 3, 4}))),
                call("create(long[])", x -> x.add(x.getManager().create(new long[] {1, -2, 3, 4}))),
                call("create(double[])", x -> x.add(x.getManager().create(new double[] {1, -2, 3.5, 4}))),
                call("create(byte[])", x -> x.add(x.getManager().create(new byte[] {1, -2, 3, 4}))),
                call("create(boolean[])", x -> x.add(x.getManager().create(new boolean[] {true, false, true, true}))),
                call("create(float[], Shape)", x -> x.add(x.getManager().create(new float[] {1, 2, 3}, new Shape(3, 1)))),
                call("create(float[][])", x -> x.add(x.getManager().create(new float[][] {{1, 2, 3, 4}}))),
                call("create(float)", x -> x.add(x.getManager().create(2.5f))),
                call("create(int)", x -> x.add(x.getManager().create(3))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixedShapes")
    void fixedShapesFold(Call call) throws Exception {
        assertThat(opTypes(call, DataType.FLOAT32, "N,3,4")).contains("Add").doesNotContain("ConstantOfShape", "Range");
        check(call, DataType.FLOAT32, "N,3,4", 17);
    }

    /** Shapes from the dynamic batch: ConstantOfShape in the requested type. */
    static Stream<Arguments> dynamicShapes() {
        List<Arguments> cases = new ArrayList<>();
        cases.add(call("zeros(Shape)", x -> x.getManager().zeros(new Shape(n(x), 3))));
        cases.add(call("zeros(Shape, Device)", x -> x.getManager().zeros(new Shape(2, n(x)), DataType.FLOAT32, CPU)));
        cases.add(call("ones(Shape)", x -> x.getManager().ones(new Shape(n(x)))));
        cases.add(call("ones(Shape, Device)", x -> x.getManager().ones(new Shape(n(x), 2), DataType.INT64, CPU)));
        cases.add(call("full(Shape, 2.5f)", x -> x.getManager().full(new Shape(n(x), 2), 2.5f)));
        cases.add(call("full(Shape, -3)", x -> x.getManager().full(new Shape(3 * n(x)), -3)));
        cases.add(call("full(Shape, 7f, Device)", x -> x.getManager().full(new Shape(n(x)), 7f, DataType.FLOAT32, CPU)));
        cases.add(call("zeros(N, 3) + x", x -> x.add(x.getManager().zeros(new Shape(n(x), 3, 4)))));
        for (DataType type : List.of(DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16, DataType.INT32,
                DataType.INT64, DataType.INT8, DataType.UINT8, DataType.BOOLEAN)) {
            cases.add(call("zeros(Shape, " + type + ")", x -> x.getManager().zeros(new Shape(n(x), 2), type)));
            cases.add(call("ones(Shape, " + type + ")", x -> x.getManager().ones(new Shape(n(x), 2), type)));
            cases.add(call("full(Shape, 2.75f, " + type + ")", x -> x.getManager().full(new Shape(n(x), 2), 2.75f,
                    type)));
            if (type != DataType.UINT8 && type != DataType.BOOLEAN) {
                cases.add(call("full(Shape, -2.75f, " + type + ")", x -> x.getManager().full(new Shape(n(x)), -2.75f,
                        type)));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dynamicShapes")
    void dynamicShapes(Call call) throws Exception {
        assertThat(opTypes(call, DataType.FLOAT32, "N,3,4")).contains("ConstantOfShape");
        check(call, DataType.FLOAT32, "N,3,4", 17);
    }

    /** A stop, start or step from the dynamic batch: Range in the output's type. */
    static Stream<Arguments> ranges() {
        List<Arguments> cases = new ArrayList<>();
        for (int opset : new int[] {13, 18}) {
            cases.add(call("arange(N)", x -> x.getManager().arange((int) n(x)), opset));
            cases.add(call("arange(0, 3N, 3)", x -> x.getManager().arange(0, (int) (3 * n(x)), 3), opset));
            cases.add(call("arange(N, 3N, 2)", x -> x.getManager().arange((int) n(x), (int) (3 * n(x)), 2), opset));
            cases.add(call("arange(2N, 0, -2)", x -> x.getManager().arange((int) (2 * n(x)), 0, -2), opset));
            cases.add(call("arange(0, 2N, 2, float32)", x -> x.getManager().arange(0, (int) (2 * n(x)), 2,
                    DataType.FLOAT32), opset));
            cases.add(call("arange(0, N, 1, int64)", x -> x.getManager().arange(0, (int) n(x), 1, DataType.INT64),
                    opset));
            cases.add(call("arange(float N)", x -> x.getManager().arange((float) n(x)), opset));
            cases.add(call("arange(0.5f, N)", x -> x.getManager().arange(0.5f, (float) n(x)), opset));
            cases.add(call("arange(0f, N, 0.5f)", x -> x.getManager().arange(0f, (float) n(x), 0.5f), opset));
            cases.add(call("arange(0f, N, 1f, int64)", x -> x.getManager().arange(0f, (float) n(x), 1f,
                    DataType.INT64), opset));
            cases.add(call("arange(0f, 2N, 2f, float64, Device)", x -> x.getManager().arange(0f, 2f * n(x), 2f,
                    DataType.FLOAT64, CPU), opset));
            cases.add(call("arange(N) + x", x -> x.add(x.getManager().arange((int) n(x)).reshape(-1, 1, 1)), opset));
            for (DataType type : List.of(DataType.UINT8, DataType.INT8, DataType.FLOAT16)) {
                cases.add(call("arange(0, 2N, 1, " + type + ")", x -> x.getManager().arange(0, (int) (2 * n(x)), 1,
                        type), opset));
            }
            // PyTorch truncates start and step toward zero for an integer type (step 1.5 is 1)
            cases.add(call("arange(-0.5f, 2N, 1.5f, int64)", x -> x.getManager().arange(-0.5f, 2f * n(x), 1.5f,
                    DataType.INT64), opset));
            cases.add(call("arange(0f, N, 0.25f, float16)", x -> x.getManager().arange(0f, (float) n(x), 0.25f,
                    DataType.FLOAT16), opset));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} opset {1}")
    @MethodSource("ranges")
    void ranges(Call call, int opset) throws Exception {
        assertThat(opTypes(call, DataType.FLOAT32, "N,3,4")).contains("Range");
        check(call, DataType.FLOAT32, "N,3,4", opset);
    }

    static Stream<Arguments> likes() {
        List<Arguments> cases = new ArrayList<>();
        for (DataType type : List.of(DataType.FLOAT32, DataType.INT32, DataType.INT64, DataType.BOOLEAN,
                DataType.UINT8, DataType.FLOAT16)) {
            cases.add(call("zerosLike()", NDArray::zerosLike, type));
            cases.add(call("onesLike()", NDArray::onesLike, type));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} of {1}")
    @MethodSource("likes")
    void likes(Call call, DataType type) throws Exception {
        check(call, type, "N,3,4", 17);
    }

    static Stream<Arguments> oneHots() {
        List<Arguments> cases = new ArrayList<>();
        for (DataType indices : List.of(DataType.INT32, DataType.INT64)) {
            for (String shape : List.of("N", "N,3")) {
                cases.add(call("oneHot(5)", x -> x.oneHot(5), indices, shape, 13));
                cases.add(call("oneHot(6, float32)", x -> x.oneHot(6, DataType.FLOAT32), indices, shape, 18));
                for (DataType type : List.of(DataType.INT64, DataType.INT32, DataType.FLOAT64, DataType.FLOAT16,
                        DataType.UINT8, DataType.INT8, DataType.BOOLEAN)) {
                    cases.add(call("oneHot(4, " + type + ")", x -> x.oneHot(4, type), indices, shape, 17));
                }
            }
        }
        cases.add(call("oneHot(4) of float32", x -> x.oneHot(4), DataType.FLOAT32, "N,3", 17));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} of {1} {2} opset {3}")
    @MethodSource("oneHots")
    void oneHots(Call call, DataType indices, String shape, int opset) throws Exception {
        check(call, indices, shape, opset);
    }

    /** Java data sized by the batch is a different constant at each trace size: no graph can hold it. */
    @Test
    void javaDataSizedByTheBatchIsNotDynamic() {
        Block block = new SequentialBlock().add(Linear.builder().setUnits(3).build())
                .add(new LambdaBlock(list -> {
                    NDArray x = list.head();
                    float[] positions = new float[(int) n(x)];
                    for (int i = 0; i < positions.length; i++) {
                        positions[i] = i;
                    }
                    return new NDList(x.add(x.getManager().create(positions).reshape(-1, 1)));
                }, "positions"));
        try (NDManager manager = NDManager.newBaseManager()) {
            block.initialize(manager, DataType.FLOAT32, new Shape(2, 4));
            assertThatThrownBy(() -> OnnxExport.of(block).input("x", DataType.FLOAT32, "N,4").export().close())
                    .isInstanceOfSatisfying(OnnxExportException.class, e -> {
                        assertThat(e.reason()).isEqualTo(OnnxExportException.Reason.NOT_DYNAMIC);
                        assertThat(e.blockPath()).isEqualTo("02LambdaBlock");
                        assertThat(e.getMessage()).contains("NDManager.create(float[])", "data at one trace size",
                                "block '02LambdaBlock'");
                    });
        }
    }
}
