package dev.dualnet.exporter.ops;

import static org.junit.jupiter.api.Named.named;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.LambdaBlock;
import dev.dualnet.exporter.testing.ExportCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reductions, arg max and min, top-k, sorts, cumulative sums and products, norms and the
 * boolean reductions against DJL's PyTorch results, at batch 1 and 7 of a dynamic first axis, in
 * the opsets where the Reduce operators change form (13, 17, 18).
 */
class ReductionOpsTest {
    private static final int[] OPSETS = {13, 17, 18};
    private static final String SHAPE = "N,3,4";

    @TempDir
    Path dir;

    /** Uniform floats in [-1, 1): no ties. */
    private static final ExportCheck.Generator FLOATS = (manager, shape, random) -> {
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat() * 2 - 1;
        }
        return manager.create(values, shape);
    };

    /** Integers in [-3, 4): many ties, zeros included. */
    private static final ExportCheck.Generator SMALL = (manager, shape, random) -> {
        int[] values = new int[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextInt(7) - 3;
        }
        return manager.create(values, shape);
    };

    /** Distinct integers centred on 0, so sorts have no ties. */
    private static final ExportCheck.Generator DISTINCT = (manager, shape, random) -> {
        List<Integer> values = new ArrayList<>();
        for (int i = 0; i < shape.size(); i++) {
            values.add(i - (int) shape.size() / 2);
        }
        Collections.shuffle(values, random);
        return manager.create(values.stream().mapToInt(Integer::intValue).toArray(), shape);
    };

    private static ExportCheck.Generator constant(float value) {
        return (manager, shape, random) -> manager.full(shape, value);
    }

    private static ExportCheck.Generator generator(DataType type) {
        return type.isFloating() ? FLOATS : SMALL;
    }

    /** One DJL call on the input; its result (an array or an NDList) is the block's output. */
    private interface Call extends Function<NDArray, Object> {}

    private static Arguments call(String name, Call call, Object... more) {
        Object[] arguments = new Object[more.length + 1];
        arguments[0] = named(name, call);
        System.arraycopy(more, 0, arguments, 1, more.length);
        return Arguments.of(arguments);
    }

    private void check(Call call, DataType type, int opset, ExportCheck.Generator generator) throws Exception {
        check(call, type, SHAPE, opset, generator, null, 1e-5);
    }

    private void check(Call call, DataType type, String shape, int opset, ExportCheck.Generator generator,
            UnaryOperator<NDList> andThen, double tolerance) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LambdaBlock block = new LambdaBlock(list -> {
                Object result = call.apply(list.head());
                return result instanceof NDList many ? many : new NDList((NDArray) result);
            });
            block.initialize(manager, type, new Shape(Stream.of(shape.split(","))
                    .mapToLong(d -> d.equals("N") ? 1 : Long.parseLong(d)).toArray()));
            ExportCheck check = ExportCheck.of(block, manager).input("x", type, shape, generator).opset(opset)
                    .tolerance(tolerance).batches(1, 7);
            if (andThen != null) {
                check.andThen(andThen);
            }
            check.run(dir);
        }
    }

    static Stream<Arguments> alongAxes() {
        List<Arguments> cases = new ArrayList<>();
        for (int opset : OPSETS) {
            cases.add(call("sum()", NDArray::sum, opset));
            cases.add(call("sum([1], keep)", x -> x.sum(new int[] {1}, true), opset));
            cases.add(call("sum([0, 2], keep)", x -> x.sum(new int[] {0, 2}, true), opset));
            cases.add(call("sum([], keep)", x -> x.sum(new int[0], true), opset));
            cases.add(call("mean()", NDArray::mean, opset));
            cases.add(call("mean([1], keep)", x -> x.mean(new int[] {1}, true), opset));
            cases.add(call("max()", NDArray::max, opset));
            cases.add(call("max([1], keep)", x -> x.max(new int[] {1}, true), opset));
            cases.add(call("min()", NDArray::min, opset));
            cases.add(call("min([2], keep)", x -> x.min(new int[] {2}, true), opset));
            cases.add(call("prod()", NDArray::prod, opset));
            cases.add(call("prod([1], keep)", x -> x.prod(new int[] {1}, true), opset));
            if (opset == 17) {
                // the same form as opset 13: full reductions and one axis each cover it
                continue;
            }
            cases.add(call("sum([-1])", x -> x.sum(new int[] {-1}, false), opset));
            cases.add(call("sum([0]) (dynamic)", x -> x.sum(new int[] {0}), opset));
            cases.add(call("sum([1, -1])", x -> x.sum(new int[] {1, -1}), opset));
            cases.add(call("sum([])", x -> x.sum(new int[0], false), opset));
            cases.add(call("mean([-1])", x -> x.mean(new int[] {-1}), opset));
            cases.add(call("mean([0]) (dynamic)", x -> x.mean(new int[] {0}, false), opset));
            cases.add(call("max([-1])", x -> x.max(new int[] {-1}), opset));
            cases.add(call("max([0]) (dynamic)", x -> x.max(new int[] {0}, false), opset));
            cases.add(call("min([-2])", x -> x.min(new int[] {-2}), opset));
            cases.add(call("prod([-1])", x -> x.prod(new int[] {-1}), opset));
            cases.add(call("prod([0]) (dynamic)", x -> x.prod(new int[] {0}, false), opset));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} opset {1}")
    @MethodSource("alongAxes")
    void reducesFloats(Call call, int opset) throws Exception {
        check(call, DataType.FLOAT32, opset, FLOATS);
    }

    /** Sums and products of integers and booleans are int64 in PyTorch; max and min keep the type. */
    static Stream<Arguments> typed() {
        List<Arguments> cases = new ArrayList<>();
        for (DataType type : List.of(DataType.INT32, DataType.INT64, DataType.BOOLEAN, DataType.UINT8)) {
            cases.add(call("sum()", NDArray::sum, type));
            cases.add(call("sum([1, 2], keep)", x -> x.sum(new int[] {1, 2}, true), type));
            cases.add(call("max()", NDArray::max, type));
            cases.add(call("max([-1])", x -> x.max(new int[] {-1}), type));
            cases.add(call("min()", NDArray::min, type));
            cases.add(call("min([1], keep)", x -> x.min(new int[] {1}, true), type));
            cases.add(call("prod([2])", x -> x.prod(new int[] {2}), type));
            cases.add(call("cumSum(1)", x -> x.cumSum(1), type));
            cases.add(call("countNonzero()", NDArray::countNonzero, type));
            cases.add(call("countNonzero(1)", x -> x.countNonzero(1), type));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} of {1}")
    @MethodSource("typed")
    void reducesOtherTypes(Call call, DataType type) throws Exception {
        check(call, type, 17, SMALL);
    }

    /** A full product of integers: small non-zero factors, so that it neither vanishes nor overflows. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DataType.class, names = {"INT32", "INT64", "UINT8"})
    void multipliesIntegers(DataType type) throws Exception {
        int[] factors = {-1, 1, 2};
        check(NDArray::prod, type, "N,3", 17, (manager, shape, random) -> {
            int[] values = new int[Math.toIntExact(shape.size())];
            for (int i = 0; i < values.length; i++) {
                values[i] = factors[random.nextInt(factors.length)];
            }
            return manager.create(values, shape);
        }, null, 0);
    }

    /**
     * Half-precision arrays are computed in float32 and rounded back, as PyTorch accumulates them;
     * a different order of the additions may round a sum to a neighbouring float16.
     */
    static Stream<Arguments> halves() {
        return Stream.of(
                call("sum()", NDArray::sum),
                call("mean([1], keep)", x -> x.mean(new int[] {1}, true)),
                call("max([-1])", x -> x.max(new int[] {-1})),
                call("cumSum(2)", x -> x.cumSum(2)),
                call("cumProd(1)", x -> x.cumProd(1)),
                call("norm([1, 2])", x -> x.norm(new int[] {1, 2})),
                call("sort(1)", x -> x.sort(1)),
                call("argMin(2)", x -> x.argMin(2)),
                call("topK(2, -1)", x -> x.topK(2, -1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("halves")
    void reducesHalves(Call call) throws Exception {
        check(call, DataType.FLOAT16, SHAPE, 17, FLOATS, null, 2e-2);
    }

    /** Integers with ties check that the first extreme index wins, as in PyTorch. */
    static Stream<Arguments> arguments() {
        List<Arguments> cases = new ArrayList<>();
        for (DataType type : List.of(DataType.FLOAT32, DataType.INT32, DataType.UINT8)) {
            for (int opset : new int[] {13, 18}) {
                cases.add(call("argMax()", NDArray::argMax, type, opset));
                cases.add(call("argMin()", NDArray::argMin, type, opset));
                cases.add(call("argMax(1)", x -> x.argMax(1), type, opset));
                cases.add(call("argMin(-1)", x -> x.argMin(-1), type, opset));
                cases.add(call("argMax(0) (dynamic)", x -> x.argMax(0), type, opset));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} of {1} opset {2}")
    @MethodSource("arguments")
    void argMaxAndMin(Call call, DataType type, int opset) throws Exception {
        check(call, type, opset, generator(type));
    }

    static Stream<Arguments> cumulative() {
        List<Arguments> cases = new ArrayList<>();
        for (DataType type : List.of(DataType.FLOAT32, DataType.INT32)) {
            for (int opset : new int[] {13, 18}) {
                cases.add(call("cumSum()", NDArray::cumSum, type, opset));
                cases.add(call("cumSum(1)", x -> x.cumSum(1), type, opset));
                cases.add(call("cumSum(-1)", x -> x.cumSum(-1), type, opset));
                cases.add(call("cumProd(1)", x -> x.cumProd(1), type, opset));
                cases.add(call("cumProd(-1)", x -> x.cumProd(-1), type, opset));
                cases.add(call("cumProd(0) (dynamic)", x -> x.cumProd(0), type, opset));
                cases.add(call("cumProd(2, float64)", x -> x.cumProd(2, DataType.FLOAT64), type, opset));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} of {1} opset {2}")
    @MethodSource("cumulative")
    void cumulates(Call call, DataType type, int opset) throws Exception {
        check(call, type, opset, generator(type));
    }

    static Stream<Arguments> norms() {
        List<Arguments> cases = new ArrayList<>();
        for (int opset : new int[] {13, 18}) {
            cases.add(call("norm()", NDArray::norm, opset));
            cases.add(call("norm(keep)", x -> x.norm(true), opset));
            cases.add(call("norm([1])", x -> x.norm(new int[] {1}), opset));
            cases.add(call("norm([1, 2], keep)", x -> x.norm(new int[] {1, 2}, true), opset));
            cases.add(call("norm(2, [0]) (dynamic)", x -> x.norm(2, new int[] {0}, false), opset));
            cases.add(call("norm(1, [-1])", x -> x.norm(1, new int[] {-1}, false), opset));
            cases.add(call("norm(1, [], keep)", x -> x.norm(1, new int[0], true), opset));
            cases.add(call("norm(0, [1], keep)", x -> x.norm(0, new int[] {1}, true), opset));
            cases.add(call("norm(3, [1, 2])", x -> x.norm(3, new int[] {1, 2}, false), opset));
            cases.add(call("norm(-1, [2])", x -> x.norm(-1, new int[] {2}, false), opset));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} opset {1}")
    @MethodSource("norms")
    void norms(Call call, int opset) throws Exception {
        check(call, DataType.FLOAT32, opset, (manager, shape, random) -> {
            NDArray values = SMALL.make(manager, shape, random).toType(DataType.FLOAT32, false);
            return values.mul(0.5f);
        });
    }

    /** Inputs without ties: on ties PyTorch's order is unspecified, ONNX's is lower index first. */
    static Stream<Arguments> sorts() {
        List<Arguments> cases = new ArrayList<>();
        for (DataType type : List.of(DataType.FLOAT32, DataType.INT32)) {
            for (int opset : new int[] {13, 18}) {
                cases.add(call("topK(2, 1)", x -> x.topK(2, 1), type, opset));
                cases.add(call("topK(3, -1, smallest, sorted)", x -> x.topK(3, -1, false, true), type, opset));
                cases.add(call("topK(1, 0) (dynamic axis)", x -> x.topK(1, 0), type, opset));
                cases.add(call("sort()", NDArray::sort, type, opset));
                cases.add(call("sort(1)", x -> x.sort(1), type, opset));
                cases.add(call("sort(0) (dynamic)", x -> x.sort(0), type, opset));
                cases.add(call("argSort()", NDArray::argSort, type, opset));
                cases.add(call("argSort(-2)", x -> x.argSort(-2), type, opset));
                cases.add(call("argSort(1, descending)", x -> x.argSort(1, false), type, opset));
                cases.add(call("argSort(0, descending) (dynamic)", x -> x.argSort(0, false), type, opset));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} of {1} opset {2}")
    @MethodSource("sorts")
    void sorts(Call call, DataType type, int opset) throws Exception {
        check(call, type, opset, type.isFloating() ? FLOATS : DISTINCT);
    }

    /** Sorting booleans: values only, which ties cannot change. */
    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {13, 18})
    void sortsBooleans(int opset) throws Exception {
        check(x -> x.sort(1), DataType.BOOLEAN, opset, SMALL);
    }

    /** Top-k size taken from the dynamic batch: k = N along axis 0. */
    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {13, 18})
    void topKOfDynamicSize(int opset) throws Exception {
        check(x -> x.topK((int) x.getShape().get(0), 0), DataType.FLOAT32, opset, FLOATS);
    }

    /** Unsorted top-k: the same elements, compared once sorted. */
    @ParameterizedTest(name = "largest {0}")
    @ValueSource(booleans = {true, false})
    void unsortedTopK(boolean largest) throws Exception {
        check(x -> x.topK(3, 2, largest, false), DataType.FLOAT32, "N,3,8", 17, FLOATS,
                list -> new NDList(list.get(0).sort(-1)), 1e-5);
    }

    static Stream<Arguments> truths() {
        List<Arguments> cases = new ArrayList<>();
        for (DataType type : List.of(DataType.FLOAT32, DataType.INT32, DataType.BOOLEAN)) {
            for (String values : List.of("mixed", "zeros", "non-zero")) {
                cases.add(call("all()", NDArray::all, type, values));
                cases.add(call("any()", NDArray::any, type, values));
                cases.add(call("none()", NDArray::none, type, values));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} of {1} {2}")
    @MethodSource("truths")
    void truths(Call call, DataType type, String values) throws Exception {
        ExportCheck.Generator generator = switch (values) {
            case "zeros" -> constant(0);
            case "non-zero" -> constant(-2);
            default -> SMALL;
        };
        check(call, type, 17, generator);
    }

    /** Methods given a 0-D array (the result of a full reduction). */
    static Stream<Arguments> scalars() {
        return Stream.of(
                call("sum().cumSum()", x -> x.sum().cumSum()),
                call("sum().cumSum(0)", x -> x.sum().cumSum(0)),
                call("sum().cumProd(0)", x -> x.sum().cumProd(0)),
                call("max().argMax()", x -> x.max().argMax()),
                call("max().argMin(0)", x -> x.max().argMin(0)),
                call("sum().sum([0])", x -> x.sum().sum(new int[] {0})),
                call("sum().max([0], keep)", x -> x.sum().max(new int[] {0}, true)),
                call("sum().sort()", x -> x.sum().sort()),
                call("sum().argSort()", x -> x.sum().argSort()),
                call("sum().all()", x -> x.sum().all()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scalars")
    void scalars(Call call) throws Exception {
        check(call, DataType.FLOAT32, 17, FLOATS);
    }
}
