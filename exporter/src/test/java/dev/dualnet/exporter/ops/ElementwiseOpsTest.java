package dev.dualnet.exporter.ops;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Named.named;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.LambdaBlock;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.testing.ExportCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Arithmetic, comparison, logic and the elementwise functions of {@code NDArray} against DJL's
 * PyTorch results, at batch 1 and 7 of a dynamic first axis: PyTorch's type promotion (a Java
 * number is a 0-D array of its own type), true division of integers, the remainder with the sign of
 * the divisor, integer powers, in-place methods, and NaN and infinite values where the functions
 * make them.
 */
class ElementwiseOpsTest {
    private static final DataType F32 = DataType.FLOAT32;
    private static final DataType F64 = DataType.FLOAT64;
    private static final DataType I32 = DataType.INT32;
    private static final DataType I64 = DataType.INT64;
    private static final DataType BOOL = DataType.BOOLEAN;

    @TempDir
    Path dir;

    /** One input of a checked block. */
    private record In(DataType type, String shape, ExportCheck.Generator generator) {}

    /** The block: its inputs in, its outputs (an array or an NDList) out. */
    private interface Fn extends Function<NDList, Object> {}

    /** One function of one array. */
    private interface Unary extends Function<NDArray, NDArray> {}

    private static Arguments unary(String name, Unary function, Object... more) {
        Object[] arguments = new Object[more.length + 1];
        arguments[0] = named(name, function);
        System.arraycopy(more, 0, arguments, 1, more.length);
        return Arguments.of(arguments);
    }

    private static Arguments fn(String name, Fn fn, Object... more) {
        Object[] arguments = new Object[more.length + 1];
        arguments[0] = named(name, fn);
        System.arraycopy(more, 0, arguments, 1, more.length);
        return Arguments.of(arguments);
    }

    private void check(Fn fn, int opset, double tolerance, In... inputs) throws Exception {
        check(fn, null, opset, tolerance, inputs);
    }

    private void check(Fn fn, UnaryOperator<NDList> reference, int opset, double tolerance, In... inputs)
            throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LambdaBlock block = new LambdaBlock(list -> {
                Object result = fn.apply(list);
                return result instanceof NDList many ? many : new NDList((NDArray) result);
            });
            ExportCheck check = ExportCheck.of(block, manager).opset(opset).tolerance(tolerance).matchNonFinite()
                    .batches(1, 7);
            for (int i = 0; i < inputs.length; i++) {
                check.input("x" + i, inputs[i].type(), inputs[i].shape(), inputs[i].generator());
            }
            if (reference != null) {
                check.expected(reference);
            }
            check.run(dir);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Generators

    /** Floats uniform in [lo, hi). */
    private static ExportCheck.Generator uniform(double lo, double hi) {
        return (manager, shape, random) -> {
            double[] values = new double[Math.toIntExact(shape.size())];
            for (int i = 0; i < values.length; i++) {
                values[i] = lo + random.nextDouble() * (hi - lo);
            }
            return manager.create(values, shape);
        };
    }

    /** Uniform in [lo, hi), the first elements replaced by these values (NaN, infinities, ties). */
    private static ExportCheck.Generator with(double lo, double hi, double... specials) {
        ExportCheck.Generator uniform = uniform(lo, hi);
        return (manager, shape, random) -> {
            double[] values = uniform.make(manager, shape, random).toDoubleArray();
            for (int i = 0; i < values.length; i++) {
                if (i < specials.length) {
                    values[i] = specials[i];
                }
            }
            return manager.create(values, shape);
        };
    }

    /** Values picked at random from a few, so that ties and zeros are common. */
    private static ExportCheck.Generator pick(double... choices) {
        return (manager, shape, random) -> {
            double[] values = new double[Math.toIntExact(shape.size())];
            for (int i = 0; i < values.length; i++) {
                values[i] = choices[random.nextInt(choices.length)];
            }
            return manager.create(values, shape);
        };
    }

    /** Integers uniform in [lo, hi]. */
    private static ExportCheck.Generator ints(int lo, int hi) {
        return (manager, shape, random) -> {
            long[] values = new long[Math.toIntExact(shape.size())];
            for (int i = 0; i < values.length; i++) {
                values[i] = lo + random.nextInt(hi - lo + 1);
            }
            return manager.create(values, shape);
        };
    }

    /** Magnitudes in [0.5, 2) of either sign: divisors and bases far from zero. */
    private static final ExportCheck.Generator AWAY_FROM_ZERO = (manager, shape, random) -> {
        double[] values = new double[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (0.5 + random.nextDouble() * 1.5) * (random.nextBoolean() ? 1 : -1);
        }
        return manager.create(values, shape);
    };

    private static final ExportCheck.Generator BOOLEANS = (manager, shape, random) -> {
        boolean[] values = new boolean[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextBoolean();
        }
        return manager.create(values, shape);
    };

    /** Operands of arithmetic: away from zero for floats, small integers with zeros and ±1 for integers. */
    private static ExportCheck.Generator operand(DataType type) {
        if (type == BOOL) {
            return BOOLEANS;
        }
        return type.isFloating() ? AWAY_FROM_ZERO : ints(-3, 3);
    }

    private static In in(DataType type, String shape) {
        return new In(type, shape, operand(type));
    }

    private static DataType type(String name) {
        return switch (name) {
            case "f32" -> F32;
            case "f64" -> F64;
            case "i32" -> I32;
            case "i64" -> I64;
            case "bool" -> BOOL;
            default -> throw new IllegalArgumentException(name);
        };
    }

    // ---------------------------------------------------------------------------------------------
    // Arithmetic

    /**
     * Every arithmetic method on two arrays. Integer divisors are {@code 2b + 1}, never zero, also in
     * the trace (whose integer inputs are 0); integer exponents reach -2, where PyTorch's integer
     * power gives 1 for a base of 1, ±1 for -1 and 0 otherwise, 0 included.
     */
    private static NDList arithmetic(NDArray a, NDArray b) {
        NDArray d = b.getDataType().isInteger() ? b.mul(2).add(1) : b;
        return new NDList(a.add(b), a.sub(b), a.mul(b), a.div(d), a.maximum(b), a.minimum(b), a.pow(b), a.mod(d));
    }

    static Stream<Arguments> arrayOperands() {
        List<Arguments> cases = new ArrayList<>();
        for (String type : List.of("f32", "f64", "i32", "i64")) {
            cases.add(Arguments.of(type, type, "N,3,4", 17));
        }
        for (int opset : new int[] {13, 17, 18}) {
            for (String shape : List.of("4", "3,1", "", "N,1,4")) {
                cases.add(Arguments.of("f32", "f32", shape, opset));
            }
        }
        for (String shape : List.of("4", "3,1", "")) {
            cases.add(Arguments.of("i64", "i64", shape, 17));
        }
        String[][] mixed = {
            {"i32", "f32", "N,3,4"}, {"f32", "i32", "N,3,4"}, {"i64", "f64", "4"}, {"f32", "f64", "N,3,4"},
            {"f64", "f32", "3,1"}, {"i32", "i64", "N,3,4"}, {"i64", "i32", "4"}, {"f32", "i64", ""},
            {"i32", "f64", ""}, {"i32", "f32", ""}, {"i64", "i32", ""}, {"f32", "f64", ""}, {"i32", "i64", ""},
        };
        for (String[] pair : mixed) {
            cases.add(Arguments.of(pair[0], pair[1], pair[2], 17));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} [N,3,4] with {1} [{2}] opset {3}")
    @MethodSource("arrayOperands")
    void arithmeticOnArrays(String a, String b, String shapeB, int opset) throws Exception {
        check(x -> arithmetic(x.get(0), x.get(1)), opset, 1e-5, in(type(a), "N,3,4"), in(type(b), shapeB));
    }

    /** A 0-D receiver with a dimensioned operand: the dimensioned array's type wins within a category. */
    @ParameterizedTest(name = "{0} [] with {1} [N,3]")
    @MethodSource("scalarReceivers")
    void arithmeticOnScalarReceivers(String a, String b) throws Exception {
        check(x -> arithmetic(x.get(0), x.get(1)), 17, 1e-5, in(type(a), ""), in(type(b), "N,3"));
    }

    static Stream<Arguments> scalarReceivers() {
        return Stream.of(Arguments.of("i64", "i32"), Arguments.of("f64", "f32"), Arguments.of("f32", "i64"),
                Arguments.of("i32", "f64"));
    }

    private static NDList arithmetic(NDArray a, Number n) {
        return new NDList(a.add(n), a.sub(n), a.mul(n), a.div(n), a.maximum(n), a.minimum(n), a.pow(n), a.mod(n));
    }

    static Stream<Arguments> numberOperands() {
        List<Arguments> cases = new ArrayList<>();
        Number[] numbers = {3, -2, 2L, -3L, 2.5f, -0.5f, 1.5, -1.5, (byte) 2};
        for (String type : List.of("f32", "f64", "i32", "i64")) {
            for (Number number : numbers) {
                cases.add(Arguments.of(type, named(number + " (" + number.getClass().getSimpleName() + ")", number)));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("numberOperands")
    void arithmeticWithNumbers(String a, Number n) throws Exception {
        check(x -> arithmetic(x.get(0), n), 17, 1e-5, in(type(a), "N,3,4"));
    }

    /** Booleans: add and maximum are or, mul and minimum are and; a number of a higher category wins. */
    @Test
    void arithmeticOnBooleans() throws Exception {
        check(x -> new NDList(x.get(0).add(x.get(1)), x.get(0).mul(x.get(1)), x.get(0).maximum(x.get(1)),
                x.get(0).minimum(x.get(1)), x.get(0).add(1), x.get(0).add(2L), x.get(0).mul(1.5f),
                x.get(0).maximum(1), x.get(0).pow(2), x.get(0).mod(2), x.get(0).div(2), x.get(0).add(x.get(2))),
                17, 1e-5, in(BOOL, "N,3,4"), in(BOOL, "4"), in(I32, "3,4"));
    }

    /** A number derived from a dynamic size stays computed from the input's shape. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("sizedTypes")
    void numbersFromSizes(String type) throws Exception {
        check(x -> {
            NDArray a = x.get(0);
            long n = a.getShape().get(0);
            return new NDList(a.div(n), a.add(a.getShape().get(1)), a.mul(n).sub(n), a.lt(n), a.gte(2 * n),
                    a.clip(-n, n), a.pow(n));
        }, 17, 1e-5, in(type(type), "N,3,4"));
    }

    static Stream<String> sizedTypes() {
        return Stream.of("f32", "i32", "i64");
    }

    /** Where PyTorch rejects the operands, the trace fails with PyTorch's reason. */
    @Test
    void pytorchsRejectionsFailTheTrace() {
        assertThatThrownBy(() -> check(x -> x.get(0).sub(x.get(1)), 17, 0, in(BOOL, "N,3"), in(BOOL, "N,3")))
                .isInstanceOf(OnnxExportException.class)
                .hasMessageContaining("the forward pass failed while tracing")
                .hasMessageContaining("Subtraction, the `-` operator, with two bool tensors is not supported");
        assertThatThrownBy(() -> check(x -> x.get(0).divi(2), 17, 0, in(I32, "N,3")))
                .isInstanceOf(OnnxExportException.class)
                .hasMessageContaining("result type Float can't be cast to the desired output type Int");
    }

    /**
     * Integers overflow as PyTorch's do: a number is first converted to the array's type. An int64
     * beyond 2^53 keeps its last bit (the difference of two sums is 1, which the comparison in
     * float64 would not see in the sums themselves).
     */
    @Test
    void integerNumbersWrapLikePyTorch() throws Exception {
        check(x -> new NDList(x.get(0).add(3_000_000_000L), x.get(0).mul(-5_000_000_000L),
                x.get(1).add(100_000_000_000_000_001L).sub(x.get(1).add(100_000_000_000_000_000L)),
                x.get(1).mul(x.get(0).add(1))), 17, 0, in(I32, "N,3"), in(I64, "N,3"));
    }

    /** PyTorch's remainder has the sign of the divisor; floats are fmod corrected by the divisor. */
    @Test
    void remainderTakesTheDivisorsSign() throws Exception {
        check(x -> new NDList(x.get(0).mod(3), x.get(0).mod(-3), x.get(0).mod(x.get(1).mul(2).add(1)),
                x.get(2).mod(2.5f), x.get(2).mod(-2.5), x.get(2).mod(x.get(3)), x.get(2).mod(0f),
                x.get(2).mod(Float.NEGATIVE_INFINITY)), 17, 1e-5,
                new In(I32, "N,3,4", ints(-7, 7)), new In(I64, "N,3,4", ints(-3, 2)),
                new In(F32, "N,3,4", with(-6, 6, -5, 5, 0, -0.0, 2.5, -2.5, 7.5)),
                new In(F32, "4", AWAY_FROM_ZERO));
    }

    /** Negative bases with integral exponents stay real; integers divide truly into float32. */
    @Test
    void powersOfNegativeBasesAndIntegerDivision() throws Exception {
        check(x -> new NDList(x.get(0).pow(3), x.get(0).pow(2L), x.get(0).pow(-1), x.get(0).pow(x.get(1)),
                x.get(2).div(x.get(3).mul(2).add(1)), x.get(2).div(2), x.get(2).pow(-1), x.get(2).pow(0)),
                17, 1e-5, new In(F32, "N,3,4", pick(-2, -1.5, -1, -0.5, 0.5, 1, 2)),
                new In(F32, "4", pick(-2, -1, 0, 1, 2, 3)), new In(I64, "N,3,4", ints(-3, 3)),
                new In(I32, "N,3,4", ints(-2, 2)));
    }

    // ---------------------------------------------------------------------------------------------
    // In place

    /** After an in-place method the array names the result; an earlier copy keeps the old value. */
    static Stream<Arguments> inPlace() {
        return Stream.of(
                fn("addi(NDArray) f32 += f64", x -> {
                    NDArray before = x.get(0).mul(1);
                    x.get(0).addi(x.get(1));
                    return new NDList(before, x.get(0), x.get(0).mul(x.get(1)));
                }, F32, F64),
                fn("addi(Number) i32 += 3L", x -> {
                    x.get(0).addi(3L);
                    return new NDList(x.get(0), x.get(0).mul(2));
                }, I32, I32),
                fn("subi(NDArray) i32 -= i64", x -> {
                    x.get(0).subi(x.get(1));
                    return new NDList(x.get(0), x.get(0).add(x.get(1)));
                }, I32, I64),
                fn("subi(Number) f64 -= 0.5f", x -> {
                    x.get(0).subi(0.5f).subi(x.get(1));
                    return new NDList(x.get(0));
                }, F64, F64),
                fn("muli(NDArray) f32 *= i32", x -> {
                    x.get(0).muli(x.get(1));
                    return new NDList(x.get(0), x.get(0).neg());
                }, F32, I32),
                fn("muli(Number) i64 *= -2", x -> {
                    x.get(0).muli(-2);
                    return new NDList(x.get(0), x.get(0).add(x.get(1)));
                }, I64, I64),
                fn("divi(NDArray) f32 /= f64", x -> {
                    x.get(0).divi(x.get(1));
                    return new NDList(x.get(0), x.get(0).add(1));
                }, F32, F64),
                fn("divi(Number) f64 /= 3", x -> {
                    x.get(0).divi(3);
                    return new NDList(x.get(0).mul(x.get(1)));
                }, F64, F64),
                fn("powi(Number) f32 ^= 2", x -> {
                    x.get(0).powi(2);
                    return new NDList(x.get(0), x.get(0).sub(x.get(1)));
                }, F32, F32),
                fn("powi(NDArray) i32 ^= i32", x -> {
                    x.get(0).powi(x.get(1));
                    return new NDList(x.get(0));
                }, I32, I32),
                fn("modi(Number) i64 %= -2", x -> {
                    x.get(0).modi(-2);
                    return new NDList(x.get(0), x.get(0).mul(x.get(1)));
                }, I64, I64),
                fn("modi(NDArray) f32 %= f64", x -> {
                    x.get(0).modi(x.get(1));
                    return new NDList(x.get(0));
                }, F32, F64),
                fn("negi() i32", x -> {
                    x.get(0).negi();
                    return new NDList(x.get(0), x.get(0).sub(x.get(1)));
                }, I32, I32),
                fn("signi() f32", x -> {
                    NDArray y = x.get(0).add(x.get(1));
                    y.signi();
                    return new NDList(y, y.mul(x.get(1)));
                }, F32, F32),
                fn("chained addi(1).muli(b).negi()", x -> {
                    x.get(0).addi(1).muli(x.get(1)).negi();
                    return new NDList(x.get(0));
                }, F32, F32));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inPlace")
    void inPlaceMethodsRenameTheArray(Fn fn, DataType a, DataType b) throws Exception {
        check(fn, 17, 1e-5, in(a, "N,3,4"), in(b, "4"));
    }

    // ---------------------------------------------------------------------------------------------
    // Comparison and logic

    private static NDList comparisons(NDArray a, Object b) {
        if (b instanceof Number n) {
            return new NDList(a.eq(n), a.neq(n), a.gt(n), a.gte(n), a.lt(n), a.lte(n));
        }
        NDArray other = (NDArray) b;
        return new NDList(a.eq(other), a.neq(other), a.gt(other), a.gte(other), a.lt(other), a.lte(other));
    }

    /** Few distinct values, so that equal elements are common; NaN compares unequal to everything. */
    private static ExportCheck.Generator ties(DataType type) {
        if (type == BOOL) {
            return BOOLEANS;
        }
        return type.isFloating() ? pick(-1, -0.5, 0, 0.5, 1, Double.NaN) : ints(-1, 1);
    }

    @ParameterizedTest(name = "{0} [N,3,4] with {1} [{2}]")
    @MethodSource("comparedArrays")
    void comparesArrays(String a, String b, String shapeB) throws Exception {
        check(x -> comparisons(x.get(0), x.get(1)), 17, 0, new In(type(a), "N,3,4", ties(type(a))),
                new In(type(b), shapeB, ties(type(b))));
    }

    static Stream<Arguments> comparedArrays() {
        return Stream.of(Arguments.of("f32", "f32", "N,3,4"), Arguments.of("f64", "f64", "4"),
                Arguments.of("i32", "i32", "3,1"), Arguments.of("i64", "i64", ""), Arguments.of("bool", "bool", "4"),
                Arguments.of("i32", "f32", "N,3,4"), Arguments.of("i64", "f64", "4"), Arguments.of("f32", "f64", ""),
                Arguments.of("i32", "i64", "N,3,4"), Arguments.of("bool", "i32", "4"),
                Arguments.of("f32", "bool", "N,3,4"));
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("comparedNumbers")
    void comparesNumbers(String a, Number n) throws Exception {
        check(x -> comparisons(x.get(0), n), 17, 0, new In(type(a), "N,3,4", ties(type(a))));
    }

    static Stream<Arguments> comparedNumbers() {
        List<Arguments> cases = new ArrayList<>();
        for (String type : List.of("f32", "f64", "i32", "i64", "bool")) {
            for (Number number : new Number[] {0, 1L, 0.5f, -0.5}) {
                cases.add(Arguments.of(type, named(number + " (" + number.getClass().getSimpleName() + ")", number)));
            }
        }
        return cases.stream();
    }

    /** Non-boolean operands count as true where they are not zero (NaN included). */
    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("logicalOperands")
    void logic(String a, String b) throws Exception {
        check(x -> new NDList(x.get(0).logicalAnd(x.get(1)), x.get(0).logicalOr(x.get(1)),
                x.get(0).logicalXor(x.get(1)), x.get(0).logicalNot(), x.get(1).logicalNot()), 17, 0,
                new In(type(a), "N,3,4", ties(type(a))), new In(type(b), "4", ties(type(b))));
    }

    static Stream<Arguments> logicalOperands() {
        return Stream.of(Arguments.of("bool", "bool"), Arguments.of("f32", "i32"), Arguments.of("i64", "bool"),
                Arguments.of("f64", "f32"));
    }

    // ---------------------------------------------------------------------------------------------
    // Unary functions

    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;

    static Stream<Arguments> unaryCases() {
        ExportCheck.Generator wide = with(-2, 2, 0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5);
        ExportCheck.Generator halves = pick(-3.5, -2.5, -1.5, -0.5, -0.0, 0, 0.5, 1.5, 2.5, 3.5, -1.2, 1.7);
        ExportCheck.Generator positive = with(-0.5, 4, 0, -1, 1, 8, 100, 1e-3);
        ExportCheck.Generator unit = with(-1.2, 1.2, 1, -1, 0);
        ExportCheck.Generator specials = with(-2, 2, NAN, INF, -INF, 0, -0.0, NAN);
        ExportCheck.Generator small = ints(-4, 4);
        List<Arguments> cases = new ArrayList<>();
        cases.add(unary("abs", NDArray::abs, F32, wide));
        cases.add(unary("neg", NDArray::neg, F32, wide));
        cases.add(unary("exp", NDArray::exp, F32, wide));
        cases.add(unary("log", NDArray::log, F32, positive));
        cases.add(unary("log10", NDArray::log10, F32, positive));
        cases.add(unary("log2", NDArray::log2, F32, positive));
        cases.add(unary("sqrt", NDArray::sqrt, F32, positive));
        cases.add(unary("square", NDArray::square, F32, wide));
        cases.add(unary("sin", NDArray::sin, F32, wide));
        cases.add(unary("cos", NDArray::cos, F32, wide));
        cases.add(unary("tan", NDArray::tan, F32, uniform(-1.5, 1.5)));
        cases.add(unary("asin", NDArray::asin, F32, unit));
        cases.add(unary("acos", NDArray::acos, F32, unit));
        cases.add(unary("atan", NDArray::atan, F32, wide));
        cases.add(unary("sinh", NDArray::sinh, F32, wide));
        cases.add(unary("cosh", NDArray::cosh, F32, wide));
        cases.add(unary("tanh", NDArray::tanh, F32, wide));
        cases.add(unary("floor", NDArray::floor, F32, halves));
        cases.add(unary("ceil", NDArray::ceil, F32, halves));
        cases.add(unary("round (half to even)", NDArray::round, F32, halves));
        cases.add(unary("trunc", NDArray::trunc, F32, halves));
        cases.add(unary("sign", NDArray::sign, F32, specials));
        cases.add(unary("erf", NDArray::erf, F32, wide));
        cases.add(unary("cbrt (NaN below 0)", NDArray::cbrt, F32, wide));
        cases.add(unary("toDegrees", NDArray::toDegrees, F32, wide));
        cases.add(unary("toRadians", NDArray::toRadians, F32, with(-200, 200)));
        cases.add(unary("isNaN", NDArray::isNaN, F32, specials));
        cases.add(unary("isInfinite", NDArray::isInfinite, F32, specials));
        cases.add(unary("exp", NDArray::exp, F64, wide));
        cases.add(unary("log", NDArray::log, F64, positive));
        cases.add(unary("log2", NDArray::log2, F64, positive));
        cases.add(unary("sin", NDArray::sin, F64, wide));
        cases.add(unary("erf", NDArray::erf, F64, wide));
        cases.add(unary("round (half to even)", NDArray::round, F64, halves));
        cases.add(unary("trunc", NDArray::trunc, F64, halves));
        cases.add(unary("cbrt", NDArray::cbrt, F64, wide));
        cases.add(unary("toDegrees", NDArray::toDegrees, F64, wide));
        cases.add(unary("isInfinite", NDArray::isInfinite, F64, specials));
        // integers: the rounding functions keep them; the others compute in float32 (cbrt and the
        // angle conversions in float64, through their Double constants)
        for (DataType type : List.of(I32, I64)) {
            cases.add(unary("abs", NDArray::abs, type, small));
            cases.add(unary("neg", NDArray::neg, type, small));
            cases.add(unary("square", NDArray::square, type, small));
            cases.add(unary("sign", NDArray::sign, type, small));
            cases.add(unary("floor", NDArray::floor, type, small));
            cases.add(unary("ceil", NDArray::ceil, type, small));
            cases.add(unary("round", NDArray::round, type, small));
            cases.add(unary("trunc", NDArray::trunc, type, small));
            cases.add(unary("exp", NDArray::exp, type, small));
            cases.add(unary("sqrt", NDArray::sqrt, type, small));
            cases.add(unary("log2", NDArray::log2, type, small));
            cases.add(unary("sin", NDArray::sin, type, small));
            cases.add(unary("cbrt", NDArray::cbrt, type, small));
            cases.add(unary("toDegrees", NDArray::toDegrees, type, small));
            cases.add(unary("toRadians", NDArray::toRadians, type, small));
            cases.add(unary("isNaN", NDArray::isNaN, type, small));
            cases.add(unary("isInfinite", NDArray::isInfinite, type, small));
        }
        cases.add(unary("sign", NDArray::sign, BOOL, BOOLEANS));
        cases.add(unary("sqrt", NDArray::sqrt, BOOL, BOOLEANS));
        cases.add(unary("square", NDArray::square, BOOL, BOOLEANS));
        cases.add(unary("isNaN", NDArray::isNaN, BOOL, BOOLEANS));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} of {1}")
    @MethodSource("unaryCases")
    void unaryFunctions(Unary function, DataType type, ExportCheck.Generator generator)
            throws Exception {
        check(x -> function.apply(x.get(0)), 17, 1e-5, new In(type, "N,3,4", generator));
    }

    /** The opsets change nothing here; one function in each checks that they export alike. */
    @ParameterizedTest(name = "opset {0}")
    @MethodSource("opsets")
    void unaryFunctionsInEveryOpset(int opset) throws Exception {
        check(x -> new NDList(x.get(0).trunc(), x.get(0).cbrt(), x.get(0).log10(), x.get(0).isNaN(),
                x.get(0).toDegrees()), opset, 1e-5, new In(F32, "N,3,4", with(-2, 2, NAN, 0, -0.5, 2.5)));
    }

    static Stream<Integer> opsets() {
        return Stream.of(13, 17, 18);
    }

    /**
     * The PyTorch engine has no kernels for the inverse hyperbolic functions; the trace computes
     * them as defined, as does ONNX.
     */
    @Test
    void inverseHyperbolicFunctions() throws Exception {
        check(x -> new NDList(x.get(0).asinh(), x.get(1).acosh(), x.get(2).atanh()), list -> {
            NDArray x = list.get(0);
            NDArray asinh = x.abs().add(x.square().add(1).sqrt()).log().mul(x.sign());
            NDArray y = list.get(1);
            NDArray acosh = y.add(y.square().sub(1).sqrt()).log();
            NDArray z = list.get(2);
            NDArray atanh = z.add(1).div(z.neg().add(1)).log().mul(0.5f);
            return new NDList(asinh, acosh, atanh);
        }, 17, 1e-5, new In(F32, "N,3,4", uniform(-3, 3)), new In(F32, "N,3,4", with(0.5, 3, 1, 0.9)),
                new In(F32, "N,3,4", with(-1.2, 1.2, 1, -1, 0)));
    }

    /** PyTorch's clamp promotes the bounds with the array; a minimum above the maximum gives the maximum. */
    static Stream<Arguments> clips() {
        return Stream.of(
                unary("clip(-0.5, 0.5)", x -> x.clip(-0.5, 0.5), F32),
                unary("clip(0, 1)", x -> x.clip(0, 1), F32),
                unary("clip(1, 0)", x -> x.clip(1, 0), F32),
                unary("clip(-1L, 0.5f)", x -> x.clip(-1L, 0.5f), F64),
                unary("clip(-1, 2)", x -> x.clip(-1, 2), I32),
                unary("clip(-1L, 2L)", x -> x.clip(-1L, 2L), I64),
                unary("clip(0.5f, 2.5f)", x -> x.clip(0.5f, 2.5f), I32),
                unary("clip(-0.5, 1.5)", x -> x.clip(-0.5, 1.5), I64),
                unary("clip(0, 1)", x -> x.clip(0, 1), BOOL));
    }

    @ParameterizedTest(name = "{0} of {1}")
    @MethodSource("clips")
    void clip(Unary function, DataType type) throws Exception {
        ExportCheck.Generator generator = type == BOOL ? BOOLEANS
                : type.isFloating() ? with(-2, 2, NAN, INF, -INF) : ints(-3, 3);
        check(x -> function.apply(x.get(0)), 17, 1e-5, new In(type, "N,3,4", generator));
    }

    /** Floats with NaN: maximum and minimum propagate it, as PyTorch does. */
    @Test
    void maximumAndMinimumPropagateNaN() throws Exception {
        ExportCheck.Generator nans = with(-1, 1, NAN, 0.5, NAN);
        check(x -> new NDList(x.get(0).maximum(x.get(1)), x.get(0).minimum(x.get(1)), x.get(0).maximum(0.5f),
                x.get(0).minimum(0)), 17, 1e-5, new In(F32, "N,4", nans), new In(F32, "4", pick(NAN, 0.25, -2)));
    }

    // ---------------------------------------------------------------------------------------------
    // where and products

    static Stream<Arguments> wheres() {
        return Stream.of(
                fn("f32, f32 [4]", x -> NDArrays.where(x.get(0).gt(0), x.get(0), x.get(1)), F32, F32, "4"),
                fn("i32, f32", x -> NDArrays.where(x.get(0).gte(0), x.get(0), x.get(1)), I32, F32, "N,3,4"),
                fn("i64, i64 []", x -> NDArrays.where(x.get(0).lt(1), x.get(0), x.get(1)), I64, I64, ""),
                fn("f64, f32 [3,1]", x -> NDArrays.where(x.get(0).lt(0), x.get(0), x.get(1).mul(2)), F64, F32,
                        "3,1"));
    }

    @ParameterizedTest(name = "where {0}")
    @MethodSource("wheres")
    void where(Fn fn, DataType a, DataType b, String shapeB) throws Exception {
        check(fn, 17, 1e-5, in(a, "N,3,4"), in(b, shapeB));
    }

    @Test
    void whereOnABooleanInput() throws Exception {
        check(x -> NDArrays.where(x.get(0), x.get(1), x.get(2)), 17, 0, in(BOOL, "N,3"), in(I64, "N,3"),
                in(I32, "3"));
    }

    static Stream<Arguments> products() {
        return Stream.of(
                fn("matMul 1-D · 1-D", x -> x.get(0).matMul(x.get(1)), "4", "4", F32),
                fn("matMul 2-D · 1-D", x -> x.get(0).matMul(x.get(1)), "N,4", "4", F32),
                fn("matMul 1-D · 2-D", x -> x.get(0).matMul(x.get(1)), "4", "4,N", F32),
                fn("matMul 2-D · 2-D", x -> x.get(0).matMul(x.get(1)), "N,4", "4,5", F32),
                fn("matMul batched 3-D", x -> x.get(0).matMul(x.get(1)), "N,3,4", "N,4,5", F32),
                fn("matMul [N,2,3,4] · [4,5]", x -> x.get(0).matMul(x.get(1)), "N,2,3,4", "4,5", F32),
                fn("matMul [N,1,3,4] · [2,4,5]", x -> x.get(0).matMul(x.get(1)), "N,1,3,4", "2,4,5", F32),
                fn("matMul [3,4] · [N,4,2]", x -> x.get(0).matMul(x.get(1)), "3,4", "N,4,2", F32),
                fn("matMul f64", x -> x.get(0).matMul(x.get(1)), "N,3,4", "4,2", F64),
                fn("matMul i32", x -> x.get(0).matMul(x.get(1)), "N,3,4", "4,2", I32),
                fn("matMul i64", x -> x.get(0).matMul(x.get(1)), "N,4", "4", I64),
                fn("dot 1-D", x -> x.get(0).dot(x.get(1)), "4", "4", F32),
                fn("dot 2-D", x -> x.get(0).dot(x.get(1)), "N,4", "4,5", F32),
                fn("batchMatMul", x -> x.get(0).batchMatMul(x.get(1)), "N,3,4", "N,4,5", F32),
                fn("batchMatMul f64", x -> x.get(0).batchMatMul(x.get(1)), "N,2,3", "N,3,1", F64));
    }

    @ParameterizedTest(name = "{0} [{1}] [{2}] {3}")
    @MethodSource("products")
    void products(Fn fn, String shapeA, String shapeB, DataType type) throws Exception {
        check(fn, 17, 1e-5, in(type, shapeA), in(type, shapeB));
    }

    @ParameterizedTest(name = "matMul opset {0}")
    @MethodSource("opsets")
    void productsInEveryOpset(int opset) throws Exception {
        check(x -> new NDList(x.get(0).matMul(x.get(1)), x.get(2).batchMatMul(x.get(3))), opset, 1e-5,
                in(F32, "N,2,3,4"), in(F32, "4,5"), in(F32, "N,3,4"), in(F32, "N,4,2"));
    }

    /** The harness itself: a NaN where DJL has a finite value fails even with non-finite matching. */
    @Test
    void nonFiniteMatchingStillFailsOnMisplacedNaN() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LambdaBlock block = new LambdaBlock(list -> new NDList(list.head().log()));
            ExportCheck check = ExportCheck.of(block, manager).input("x", F32, "N,3", uniform(-1, 1))
                    .matchNonFinite().batches(2).expected(list -> new NDList(list.head().abs().log()));
            assertThatThrownBy(() -> check.run(dir)).hasMessageContaining("non-finite elements");
        }
    }
}
