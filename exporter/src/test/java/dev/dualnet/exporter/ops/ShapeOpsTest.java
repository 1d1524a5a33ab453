package dev.dualnet.exporter.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.onnx.proto.Onnx.NodeProto;
import dev.dualnet.exporter.onnx.proto.Onnx.TensorProto;
import dev.dualnet.exporter.testing.ExportCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reshapes, layouts, casts, concatenation and splits against DJL's PyTorch results at batch 1 and
 * 7 of a dynamic first axis (and of a second dynamic axis where one is named), in the first and
 * last target opsets, between which Squeeze, Unsqueeze and Split could change form (they take
 * their axes and sizes as inputs in both).
 */
class ShapeOpsTest {
    private static final int[] OPSETS = {13, 18};

    @TempDir
    Path dir;

    /** One DJL call on the input; its result (an array or an NDList) is the block's output. */
    private interface Call extends Function<NDArray, Object> {}

    /** One DJL call on two inputs. */
    private interface Call2 extends BiFunction<NDArray, NDArray, Object> {}

    private static Arguments call(String name, Call call, Object... more) {
        Object[] arguments = new Object[more.length + 1];
        arguments[0] = named(name, call);
        System.arraycopy(more, 0, arguments, 1, more.length);
        return Arguments.of(arguments);
    }

    private static long n(NDArray x) {
        return x.getShape().get(0);
    }

    private ExportCheck.Result check(Call call, DataType type, String shape, int opset) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            return ExportCheck.of(block(call), manager).input("x", type, shape).opset(opset).batches(1, 7).run(dir);
        }
    }

    private static Block block(Call call) {
        return new LambdaBlock(list -> {
            Object result = call.apply(list.head());
            return result instanceof NDList many ? many : new NDList((NDArray) result);
        });
    }

    static Stream<Arguments> reshapes() {
        List<Arguments> cases = new ArrayList<>();
        for (int opset : OPSETS) {
            cases.add(call("reshape(-1)", x -> x.reshape(-1), opset));
            cases.add(call("reshape(N, -1)", x -> x.reshape(n(x), -1), opset));
            cases.add(call("reshape(-1, 4)", x -> x.reshape(-1, 4), opset));
            cases.add(call("reshape(3N, 4)", x -> x.reshape(new Shape(n(x) * 3, 4)), opset));
            cases.add(call("reshape(N, 2, 6)", x -> x.reshape(new Shape(n(x), 2, 6)), opset));
            cases.add(call("reshape(3, -1)", x -> x.reshape(3, -1), opset));
            cases.add(call("reshape(2, N, 6)", x -> x.reshape(2, n(x), 6), opset));
            cases.add(call("reshape(N, -1, 2)", x -> x.reshape(n(x), -1, 2), opset));
            cases.add(call("reshape(size / 4, 4)", x -> x.reshape(x.size() / 4, x.size(2)), opset));
            cases.add(call("flatten()", NDArray::flatten, opset));
            cases.add(call("flatten(1, 2)", x -> x.flatten(1, 2), opset));
            cases.add(call("flatten(0, 1)", x -> x.flatten(0, 1), opset));
            cases.add(call("flatten(-2, -1)", x -> x.flatten(-2, -1), opset));
            cases.add(call("flatten(1, 1)", x -> x.flatten(1, 1), opset));
            cases.add(call("flatten(0, -1)", x -> x.flatten(0, -1), opset));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} opset {1}")
    @MethodSource("reshapes")
    void reshapes(Call call, int opset) throws Exception {
        check(call, DataType.FLOAT32, "N,3,4", opset);
    }

    /** Two dynamic axes: a reshape that needs sizes computed from the input's shape. */
    static Stream<Arguments> twoDynamicAxes() {
        List<Arguments> cases = new ArrayList<>();
        for (int opset : new int[] {13, 18}) {
            cases.add(call("reshape(N*S, 4)", x -> x.reshape(n(x) * x.getShape().get(1), 4), opset));
            cases.add(call("reshape(N, 4S)", x -> x.reshape(n(x), x.getShape().get(1) * 4), opset));
            cases.add(call("reshape(S, N, 4)", x -> x.reshape(x.getShape().get(1), n(x), 4), opset));
            cases.add(call("reshape(N, S, 2, 2)", x -> x.reshape(n(x), x.getShape().get(1), 2, 2), opset));
            cases.add(call("reshape(-1, S, 4)", x -> x.reshape(-1, x.getShape().get(1), 4), opset));
            cases.add(call("reshape(2S, -1)", x -> x.reshape(2 * x.getShape().get(1), -1), opset));
            cases.add(call("flatten(0, 1)", x -> x.flatten(0, 1), opset));
            cases.add(call("flatten()", NDArray::flatten, opset));
            cases.add(call("swapAxes(0, 1)", x -> x.swapAxes(0, 1), opset));
            cases.add(call("broadcast(2, N, S, 4)", x -> x.broadcast(2, n(x), x.getShape().get(1), 4), opset));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} opset {1}")
    @MethodSource("twoDynamicAxes")
    void twoDynamicAxes(Call call, int opset) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ExportCheck.of(block(call), manager).input("x", DataType.FLOAT32, "N,S,4").opset(opset)
                    .at(Map.of("N", 1L, "S", 5L)).at(Map.of("N", 7L, "S", 2L)).run(dir);
        }
    }

    static Stream<Arguments> axes() {
        List<Arguments> cases = new ArrayList<>();
        for (int opset : OPSETS) {
            cases.add(call("expandDims(0)", x -> x.expandDims(0), opset));
            cases.add(call("expandDims(2)", x -> x.expandDims(2), opset));
            cases.add(call("expandDims(-1)", x -> x.expandDims(-1), opset));
            cases.add(call("expandDims(-5)", x -> x.expandDims(-5), opset));
            cases.add(call("squeeze(1)", x -> x.squeeze(1), opset));
            cases.add(call("squeeze(-1)", x -> x.squeeze(-1), opset));
            cases.add(call("squeeze(2) (size 4)", x -> x.squeeze(2), opset));
            cases.add(call("squeeze([1, 3])", x -> x.squeeze(new int[] {1, 3}), opset));
            cases.add(call("squeeze([3])", x -> x.squeeze(new int[] {3}), opset));
            cases.add(call("squeeze([])", x -> x.squeeze(new int[0]), opset));
            cases.add(call("sum().squeeze()", x -> x.sum().squeeze(), opset));
            cases.add(call("sum().squeeze(0)", x -> x.sum().squeeze(0), opset));
            cases.add(call("sum().squeeze(-1)", x -> x.sum().squeeze(-1), opset));
            cases.add(call("sum().squeeze([0])", x -> x.sum().squeeze(new int[] {0}), opset));
            cases.add(call("transpose()", NDArray::transpose, opset));
            cases.add(call("transpose(0, 2, 3, 1)", x -> x.transpose(0, 2, 3, 1), opset));
            cases.add(call("transpose(-1, 0, -2, 1)", x -> x.transpose(-1, 0, -2, 1), opset));
            cases.add(call("sum().transpose()", x -> x.sum().transpose(), opset));
            cases.add(call("sum().expandDims(0)", x -> x.sum().expandDims(0), opset));
            cases.add(call("sum().flatten()", x -> x.sum().flatten(), opset));
            cases.add(call("sum().reshape(1, 1)", x -> x.sum().reshape(1, 1), opset));
            cases.add(call("swapAxes(0, 2)", x -> x.swapAxes(0, 2), opset));
            cases.add(call("swapAxes(-1, -3)", x -> x.swapAxes(-1, -3), opset));
            cases.add(call("swapAxes(1, 1)", x -> x.swapAxes(1, 1), opset));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} opset {1}")
    @MethodSource("axes")
    void axes(Call call, int opset) throws Exception {
        check(call, DataType.FLOAT32, "N,1,4,1", opset);
    }

    /**
     * A dynamic axis is taken not to be 1: at batch 1 DJL squeezes the batch axis too, and the
     * graph, traced at larger batches, keeps it.
     */
    static Stream<Arguments> squeezesOfTheBatchAxis() {
        return Stream.of(call("squeeze()", NDArray::squeeze), call("squeeze(0)", x -> x.squeeze(0)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("squeezesOfTheBatchAxis")
    void squeezeOfTheBatchAxis(Call call) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ExportCheck.of(block(call), manager).input("x", DataType.FLOAT32, "N,1,4,1").allowSqueezedShapes()
                    .batches(1, 7).run(dir);
        }
    }

    static Stream<Arguments> repeats() {
        List<Arguments> cases = new ArrayList<>();
        for (int opset : new int[] {13, 18}) {
            cases.add(call("broadcast(N, 3, 4)", x -> x.broadcast(new Shape(n(x), 3, 4)), opset));
            cases.add(call("broadcast(2, N, 3, 4)", x -> x.broadcast(2, n(x), 3, 4), opset));
            cases.add(call("broadcast(-1, 3, 4)", x -> x.broadcast(new Shape(-1, 3, 4)), opset));
            cases.add(call("broadcast(2, -1, -1, 4)", x -> x.broadcast(2, -1, -1, 4), opset));
            cases.add(call("tile([1, 2, 3])", x -> x.tile(new long[] {1, 2, 3}), opset));
            cases.add(call("tile([2, 1, 1])", x -> x.tile(new long[] {2, 1, 1}), opset));
            cases.add(call("tile([1, N, 1])", x -> x.tile(new long[] {1, n(x), 1}), opset));
            cases.add(call("tile([2, 1, 1, 2])", x -> x.tile(new long[] {2, 1, 1, 2}), opset));
            cases.add(call("tile(2)", x -> x.tile(2), opset));
            cases.add(call("sum().tile(3)", x -> x.sum().tile(3), opset));
            cases.add(call("sum().tile([2, 3])", x -> x.sum().tile(new long[] {2, 3}), opset));
            cases.add(call("repeat(1, 2)", x -> x.repeat(1, 2), opset));
            cases.add(call("repeat(0, 3)", x -> x.repeat(0, 3), opset));
            cases.add(call("repeat(-1, 2)", x -> x.repeat(-1, 2), opset));
            cases.add(call("repeat(2)", x -> x.repeat(2), opset));
            cases.add(call("repeat([1, 2, 3])", x -> x.repeat(new long[] {1, 2, 3}), opset));
            cases.add(call("repeat([2])", x -> x.repeat(new long[] {2}), opset));
            // the engine hands an empty array back unchanged
            cases.add(call("empty.tile(2)", x -> x.get(":, 1:1").tile(2), opset));
            cases.add(call("empty.repeat(2)", x -> x.get(":, 1:1").repeat(2), opset));
            cases.add(call("empty.tile([1, 2, 2])", x -> x.get(":, 1:1").tile(new long[] {1, 2, 2}), opset));
            cases.add(call("empty.repeat(2, 2)", x -> x.get(":, 1:1").repeat(2, 2), opset));
            cases.add(call("empty.repeat([1, 2, 3])", x -> x.get(":, 1:1").repeat(new long[] {1, 2, 3}), opset));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} opset {1}")
    @MethodSource("repeats")
    void repeats(Call call, int opset) throws Exception {
        check(call, DataType.FLOAT32, "N,1,4", opset);
    }

    static Stream<Arguments> splits() {
        List<Arguments> cases = new ArrayList<>();
        for (int opset : OPSETS) {
            cases.add(call("split(3, 1)", x -> x.split(3, 1), opset));
            cases.add(call("split(4, 1) (parts of 1)", x -> x.split(4, 1), opset));
            cases.add(call("split(1, 0) (dynamic)", x -> x.split(1, 0), opset));
            cases.add(call("split(1) (dynamic)", x -> x.split(1), opset));
            cases.add(call("split(1, 2)", x -> x.split(1, 2), opset));
            cases.add(call("split([2, 3], 1)", x -> x.split(new long[] {2, 3}, 1), opset));
            cases.add(call("split([1, 2, 5], 1)", x -> x.split(new long[] {1, 2, 5}, 1), opset));
            cases.add(call("split([], 1)", x -> x.split(new long[0], 1), opset));
            cases.add(call("split([], 0) (dynamic)", x -> x.split(new long[0], 0), opset));
            cases.add(call("split([0, 3], 1)", x -> x.split(new long[] {0, 3}, 1), opset));
        }
        return cases.stream();
    }

    /** The second axis has 7 elements, so 3 sections of 2 leave a fourth part of 1, as PyTorch splits. */
    @ParameterizedTest(name = "{0} opset {1}")
    @MethodSource("splits")
    void splits(Call call, int opset) throws Exception {
        check(call, DataType.FLOAT32, "N,7,4", opset);
    }

    /** Parts whose sizes derive from the batch: 2N in two sections, or cut at N. */
    static Stream<Arguments> dynamicSplits() {
        List<Arguments> cases = new ArrayList<>();
        for (int opset : OPSETS) {
            cases.add(call("concat(x, x).split(2)", x -> x.concat(x.neg()).split(2), opset));
            cases.add(call("concat(x, x).split([N])", x -> x.concat(x.neg()).split(new long[] {n(x)}), opset));
            cases.add(call("concat(x, x, x).split([N, 2N], 0)", x -> NDArrays.concat(new NDList(x, x.neg(), x.mul(2)))
                    .split(new long[] {n(x), 2 * n(x)}, 0), opset));
            cases.add(call("reshape(2, 2N, 4).split(2, 1)", x -> x.reshape(2, -1, 4).split(2, 1), opset));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} opset {1}")
    @MethodSource("dynamicSplits")
    void dynamicSplits(Call call, int opset) throws Exception {
        check(call, DataType.FLOAT32, "N,4,4", opset);
    }

    static Stream<Arguments> bookkeeping() {
        return Stream.of(
                call("size() and size(int)", x -> x.reshape(x.size() / x.size(2), x.size(2))),
                call("isScalar()", x -> x.isScalar() ? x.neg() : x.mul(2)),
                call("sum().isScalar()", x -> x.sum().isScalar() ? x.neg() : x.mul(2)),
                call("shapeEquals()", x -> x.shapeEquals(x.duplicate()) ? x.neg() : x.mul(2)),
                call("shapeEquals(other)", x -> x.shapeEquals(x.sum(new int[] {1})) ? x.neg() : x.mul(2)),
                call("isEmpty()", x -> x.isEmpty() ? x.neg() : x.mul(2)),
                call("duplicate()", NDArray::duplicate));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bookkeeping")
    void bookkeeping(Call call) throws Exception {
        check(call, DataType.FLOAT32, "N,3,4", 17);
    }

    private static final List<DataType> TYPES = List.of(DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16,
            DataType.INT32, DataType.INT64, DataType.INT8, DataType.UINT8, DataType.BOOLEAN);

    static Stream<Arguments> casts() {
        List<Arguments> cases = new ArrayList<>();
        for (DataType from : TYPES) {
            for (DataType to : TYPES) {
                cases.add(Arguments.of(from, to));
            }
        }
        return cases.stream();
    }

    /**
     * Every cast, from values with fractions and signs: PyTorch truncates floats toward zero, goes
     * to uint8 through int64 (so -1.5 becomes 255), and reads any non-zero as true.
     */
    @ParameterizedTest(name = "{0} to {1}")
    @MethodSource("casts")
    void casts(DataType from, DataType to) throws Exception {
        float[] values = {-2.75f, -1.5f, -1f, -0.5f, -0.25f, 0f, 0.25f, 0.5f, 0.99f, 1f, 1.5f, 2.5f, 3.75f, 7f,
            -7f, 100.5f, -100.5f, 127.9f, -128.9f, 0f, 1f};
        try (NDManager manager = NDManager.newBaseManager()) {
            ExportCheck.of(block(x -> x.toType(to, false)), manager)
                    .input("x", from, "N,3", (m, shape, random) -> {
                        float[] data = new float[Math.toIntExact(shape.size())];
                        for (int i = 0; i < data.length; i++) {
                            data[i] = values[random.nextInt(values.length)];
                        }
                        NDArray floats = m.create(data, shape);
                        return from == DataType.BOOLEAN ? floats.neq(0) : floats.toType(from, false);
                    }).batches(1, 7).run(dir);
        }
    }

    /** A copy to the same type is an Identity, as is toType(same, false). */
    @ParameterizedTest(name = "copy {0}")
    @ValueSource(booleans = {true, false})
    void castToTheSameType(boolean copy) throws Exception {
        check(x -> x.toType(DataType.FLOAT32, copy).mul(2), DataType.FLOAT32, "N,3", 17);
    }

    static Stream<Arguments> joins() {
        List<Arguments> cases = new ArrayList<>();
        for (int opset : new int[] {13, 18}) {
            cases.add(join("concat([x, y], 1)", (x, y) -> NDArrays.concat(new NDList(x, y), 1), opset));
            cases.add(join("concat([x, y], -2)", (x, y) -> NDArrays.concat(new NDList(x, y), -2), opset));
            cases.add(join("concat([y, x, y], 1)", (x, y) -> NDArrays.concat(new NDList(y, x, y), 1), opset));
            cases.add(join("concat([x, x], 0) (dynamic)", (x, y) -> NDArrays.concat(new NDList(x, x)), opset));
            cases.add(join("concat([x])", (x, y) -> NDArrays.concat(new NDList(x), 1), opset));
            cases.add(join("x.concat(y, -2)", (x, y) -> x.concat(y, -2), opset));
            cases.add(join("x.concat(x)", (x, y) -> x.concat(x), opset));
            cases.add(join("stack([x, x], 0)", (x, y) -> NDArrays.stack(new NDList(x, x.mul(2))), opset));
            cases.add(join("stack([x, x], -1)", (x, y) -> NDArrays.stack(new NDList(x, x.neg()), -1), opset));
            cases.add(join("stack([x], 1)", (x, y) -> NDArrays.stack(new NDList(x), 1), opset));
            cases.add(join("stack([y, y, y], -2)", (x, y) -> NDArrays.stack(new NDList(y, y, y), -2), opset));
            cases.add(join("x.stack(x, 3)", (x, y) -> x.stack(x.neg(), 3), opset));
            cases.add(join("x.stack(x)", (x, y) -> x.stack(x.neg()), opset));
        }
        return cases.stream();
    }

    private static Arguments join(String name, Call2 call, int opset) {
        return Arguments.of(named(name, call), opset);
    }

    @ParameterizedTest(name = "{0} opset {1}")
    @MethodSource("joins")
    void joins(Call2 call, int opset) throws Exception {
        checkTwo(call, DataType.FLOAT32, DataType.FLOAT32, opset);
    }

    static Stream<Arguments> mixedTypes() {
        return Stream.of(
                Arguments.of(DataType.FLOAT32, DataType.INT32),
                Arguments.of(DataType.INT32, DataType.FLOAT64),
                Arguments.of(DataType.INT32, DataType.INT64),
                Arguments.of(DataType.BOOLEAN, DataType.INT32),
                Arguments.of(DataType.UINT8, DataType.INT32),
                Arguments.of(DataType.INT8, DataType.FLOAT32),
                Arguments.of(DataType.FLOAT16, DataType.FLOAT32),
                Arguments.of(DataType.BOOLEAN, DataType.FLOAT16),
                Arguments.of(DataType.INT64, DataType.UINT8));
    }

    /**
     * PyTorch promotes the arrays it joins to one type. (uint8 with int8 gives int16, which DJL
     * reports as an unknown type, so no model can hold it.)
     */
    @ParameterizedTest(name = "{0} and {1}")
    @MethodSource("mixedTypes")
    void joinsMixedTypes(DataType first, DataType second) throws Exception {
        checkTwo((x, y) -> new NDList(NDArrays.concat(new NDList(x, y, x), -2),
                NDArrays.stack(new NDList(y.get(":, :3"), x), -1)), first, second, 17);
    }

    private void checkTwo(Call2 call, DataType first, DataType second, int opset) throws Exception {
        ExportCheck.Generator values = (m, shape, random) -> {
            int[] data = new int[Math.toIntExact(shape.size())];
            for (int i = 0; i < data.length; i++) {
                data[i] = random.nextInt(7) - 3;
            }
            return m.create(data, shape);
        };
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = new LambdaBlock(list -> {
                Object result = call.apply(list.get(0), list.get(1));
                return result instanceof NDList many ? many : new NDList((NDArray) result);
            });
            ExportCheck.of(block, manager).input("x", first, "N,3,4", first == DataType.BOOLEAN ? null : values)
                    .input("y", second, "N,5,4", second == DataType.BOOLEAN ? null : values).opset(opset)
                    .batches(1, 7).run(dir);
        }
    }

    /** A float to uint8 goes through int64, as in PyTorch: a direct ONNX Cast of -1.5 to uint8 is undefined. */
    @Test
    void floatToUint8GoesThroughInt64() {
        List<NodeProto> nodes = OnnxExport.of(block(x -> x.toType(DataType.UINT8, false)))
                .input("x", DataType.FLOAT32, "N,3").toModel().getGraph().getNodeList();
        assertThat(nodes).extracting(NodeProto::getOpType).containsExactly("Cast", "Cast");
        assertThat(nodes).extracting(node -> node.getAttribute(0).getI()).containsExactly(
                (long) TensorProto.DataType.INT64_VALUE, (long) TensorProto.DataType.UINT8_VALUE);
    }
}
