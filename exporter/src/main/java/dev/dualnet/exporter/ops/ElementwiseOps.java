package dev.dualnet.exporter.ops;

import static dev.dualnet.exporter.ops.OpTable.ARRAY;
import static dev.dualnet.exporter.ops.OpTable.EX;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxOperator;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Arithmetic, comparison, logic and elementwise functions of {@code NDArray}, as the PyTorch engine
 * computes them. A binary method computes in the type PyTorch promotes its operands to
 * ({@link Emit#promote}; a Java number is a 0-D array of its own type, converted as PyTorch
 * converts it, so integers wrap), and its result is converted to the type DJL returned: an in-place
 * method keeps its array's type.
 */
final class ElementwiseOps {
    /** Integers up to this size are exact as doubles, the form scalar constants are written from. */
    private static final long EXACT_IN_DOUBLE = 1L << 53;

    private ElementwiseOps() {}

    static void register(OpTable table) {
        arithmetic(table, "add", OnnxOperator.ADD, OnnxOperator.OR, true);
        arithmetic(table, "sub", OnnxOperator.SUB, null, true);
        arithmetic(table, "mul", OnnxOperator.MUL, OnnxOperator.AND, true);
        arithmetic(table, "div", OnnxOperator.DIV, null, true);
        arithmetic(table, "maximum", OnnxOperator.MAX, OnnxOperator.OR, false);
        arithmetic(table, "minimum", OnnxOperator.MIN, OnnxOperator.AND, false);
        for (String type : List.of("NDArray", "Number")) {
            table.emit(ARRAY, "pow(" + type + ")", ElementwiseOps::pow);
            table.emit(ARRAY, "mod(" + type + ")", ElementwiseOps::mod);
            table.inPlace(ARRAY, "powi(" + type + ")", "pow(" + type + ")");
            table.inPlace(ARRAY, "modi(" + type + ")", "mod(" + type + ")");
        }
        comparison(table, "eq", OnnxOperator.EQUAL, false);
        comparison(table, "neq", OnnxOperator.EQUAL, true);
        comparison(table, "gt", OnnxOperator.GREATER, false);
        comparison(table, "gte", OnnxOperator.GREATER_OR_EQUAL, false);
        comparison(table, "lt", OnnxOperator.LESS, false);
        comparison(table, "lte", OnnxOperator.LESS_OR_EQUAL, false);
        logical(table, "logicalAnd", OnnxOperator.AND);
        logical(table, "logicalOr", OnnxOperator.OR);
        logical(table, "logicalXor", OnnxOperator.XOR);
        table.emit(ARRAY, "logicalNot()", op -> Emit.one(op.node(OnnxOperator.NOT,
                List.of(Emit.input(op, 0, DataType.BOOLEAN)), Attributes.none())));

        unary(table, "abs()", OnnxOperator.ABS);
        unary(table, "neg()", OnnxOperator.NEG);
        table.inPlace(ARRAY, "negi()", "neg()");
        unary(table, "exp()", OnnxOperator.EXP);
        unary(table, "log()", OnnxOperator.LOG);
        unary(table, "sqrt()", OnnxOperator.SQRT);
        unary(table, "sin()", OnnxOperator.SIN);
        unary(table, "cos()", OnnxOperator.COS);
        unary(table, "tan()", OnnxOperator.TAN);
        unary(table, "asin()", OnnxOperator.ASIN);
        unary(table, "acos()", OnnxOperator.ACOS);
        unary(table, "atan()", OnnxOperator.ATAN);
        unary(table, "sinh()", OnnxOperator.SINH);
        unary(table, "cosh()", OnnxOperator.COSH);
        unary(table, "tanh()", OnnxOperator.TANH);
        inverseHyperbolic(table, "asinh()", OnnxOperator.ASINH,
                x -> x.abs().add(x.square().add(1).sqrt()).log().mul(x.sign()));
        inverseHyperbolic(table, "acosh()", OnnxOperator.ACOSH, x -> x.add(x.square().sub(1).sqrt()).log());
        inverseHyperbolic(table, "atanh()", OnnxOperator.ATANH, x -> x.add(1).div(x.neg().add(1)).log().mul(0.5));
        rounding(table, "floor()", OnnxOperator.FLOOR);
        rounding(table, "ceil()", OnnxOperator.CEIL);
        rounding(table, "round()", OnnxOperator.ROUND);
        table.emit(ARRAY, "sign()", ElementwiseOps::sign);
        table.inPlace(ARRAY, "signi()", "sign()");
        table.emit(ARRAY, "erf()", op -> Emit.one(erf(op, Emit.input(op, 0, op.outputType(0)), op.outputType(0))));
        table.emit(ARRAY, "log10()", op -> Emit.one(scaledLog(op, Math.log(10))));
        table.emit(ARRAY, "log2()", op -> Emit.one(scaledLog(op, Math.log(2))));
        table.emit(ARRAY, "square()", op -> {
            String x = Emit.input(op, 0, op.outputType(0));
            return Emit.one(op.node(OnnxOperator.MUL, List.of(x, x), Attributes.none()));
        });
        table.emit(ARRAY, "trunc()", ElementwiseOps::trunc);
        table.emit(ARRAY, "cbrt()", ElementwiseOps::cbrt);
        table.emit(ARRAY, "toDegrees()", op -> Emit.one(scaled(op, 180, Math.PI)));
        table.emit(ARRAY, "toRadians()", op -> Emit.one(scaled(op, Math.PI, 180)));
        table.emit(ARRAY, "isNaN()", op -> Emit.one(op.node(OnnxOperator.IS_NAN, List.of(floats(op)),
                Attributes.none())));
        table.emit(ARRAY, "isInfinite()", op -> Emit.one(op.node(OnnxOperator.IS_INF, List.of(floats(op)),
                Attributes.none())));
        table.emit(ARRAY, "clip(Number,Number)", op -> {
            DataType type = op.outputType(0);
            return Emit.one(op.node(OnnxOperator.CLIP, List.of(Emit.input(op, 0, type), operand(op, 1, type),
                    operand(op, 2, type)), Attributes.none()));
        });
        table.emit(EX, "where(NDArray,NDArray)", op -> {
            DataType type = op.outputType(0);
            return Emit.one(op.node(OnnxOperator.WHERE, List.of(Emit.input(op, 1, DataType.BOOLEAN),
                    Emit.input(op, 0, type), Emit.input(op, 2, type)), Attributes.none()));
        });
        table.emit(ARRAY, "matMul(NDArray)", ElementwiseOps::matMul);
        table.emit(ARRAY, "dot(NDArray)", ElementwiseOps::matMul);
        table.emit(ARRAY, "batchMatMul(NDArray)", ElementwiseOps::matMul);
    }

    // ---------------------------------------------------------------------------------------------
    // Operands and types

    /**
     * The type a binary method computes in: PyTorch's promotion, raised to the result's category
     * where the result is of a higher one (integers divide truly, in float32).
     */
    private static DataType computeType(OpContext op) {
        DataType promoted = Emit.computeType(op);
        DataType result = op.outputType(0);
        return Emit.category(result) > Emit.category(promoted) ? result : promoted;
    }

    /** The receiver and the other operand of a binary method, in a type. */
    private static List<String> operands(OpContext op, DataType type) {
        return List.of(Emit.input(op, 0, type), operand(op, 1, type));
    }

    /**
     * An array argument in a type, or a number argument as PyTorch converts its 0-D array to that
     * type: an integer wraps into a narrower integer type ({@code int32 + 3_000_000_000L}).
     */
    private static String operand(OpContext op, int arg, DataType type) {
        Object recorded = op.arg(arg, Object.class);
        if (!(recorded instanceof Number number)) {
            return Emit.input(op, arg, type);
        }
        boolean integral = !(number instanceof Float || number instanceof Double);
        if (!integral || type.isFloating() || type == DataType.BOOLEAN || !op.dim(arg).isFixed()) {
            return Emit.scalarArg(op, arg, type);
        }
        long value = number.longValue();
        return switch (type) {
            case INT8 -> op.scalar(type, (byte) value);
            case UINT8 -> op.scalar(type, value & 0xff);
            case INT16 -> op.scalar(type, (short) value);
            case INT32 -> op.scalar(type, (int) value);
            default -> Math.abs(value) <= EXACT_IN_DOUBLE ? op.scalar(type, value) : longScalar(op, type, value);
        };
    }

    /** A 0-D int64 constant too large to pass through a double. */
    private static String longScalar(OpContext op, DataType type, long value) {
        ByteBuffer bytes = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
        bytes.flip();
        return op.cast(op.initializer("number", DataType.INT64, new long[0], bytes), DataType.INT64, type);
    }

    // ---------------------------------------------------------------------------------------------
    // Binary methods

    /** An arithmetic method; on booleans (where PyTorch allows it) the logical operator that equals it. */
    private static void arithmetic(OpTable table, String name, OnnxOperator operator, OnnxOperator onBooleans,
            boolean inPlaceTwin) {
        for (String type : List.of("NDArray", "Number")) {
            table.emit(ARRAY, name + "(" + type + ")", op -> {
                DataType compute = computeType(op);
                OnnxOperator actual = operator;
                if (compute == DataType.BOOLEAN) {
                    if (onBooleans == null) {
                        throw op.unsupported(name + " of two boolean operands, which PyTorch rejects");
                    }
                    actual = onBooleans;
                }
                String result = op.node(actual, operands(op, compute), Attributes.none());
                return Emit.one(op.cast(result, compute, op.outputType(0)));
            });
            if (inPlaceTwin) {
                table.inPlace(ARRAY, name + "i(" + type + ")", name + "(" + type + ")");
            }
        }
    }

    /**
     * PyTorch's pow in the promoted type. An integer power with a negative exponent is, as PyTorch
     * defines it, 1 for a base of 1, ±1 for -1 and 0 for every other base, 0 included; ONNX
     * Runtime's integer Pow goes through a floating power and overflows at 0.
     */
    private static List<String> pow(OpContext op) {
        DataType type = computeType(op);
        if (type == DataType.BOOLEAN) {
            throw op.unsupported("a power of two boolean operands, which PyTorch rejects");
        }
        List<String> operands = operands(op, type);
        String x = operands.get(0);
        String exponent = operands.get(1);
        String power;
        if (type.isFloating()) {
            power = op.node(OnnxOperator.POW, operands, Attributes.none());
        } else if (op.arg(1, Object.class) instanceof Number number && op.dim(1).isFixed()) {
            long fixed = number.longValue();
            power = fixed >= 0 ? op.node(OnnxOperator.POW, operands, Attributes.none())
                    : negativeIntegerPower(op, x, type, op.scalar(type, fixed % 2 == 0 ? 1 : -1));
        } else {
            String zero = op.scalar(type, 0);
            String natural = op.node(OnnxOperator.POW, List.of(x, op.node(OnnxOperator.MAX, List.of(exponent, zero),
                    Attributes.none())), Attributes.none());
            String odd = op.node(OnnxOperator.MOD, List.of(exponent, op.scalar(type, 2)),
                    Attributes.none().integer("fmod", 0));
            String signOfMinusOne = op.node(OnnxOperator.SUB, List.of(op.scalar(type, 1),
                    op.node(OnnxOperator.MUL, List.of(odd, op.scalar(type, 2)), Attributes.none())), Attributes.none());
            String negative = op.node(OnnxOperator.LESS, List.of(exponent, zero), Attributes.none());
            power = op.node(OnnxOperator.WHERE, List.of(negative,
                    negativeIntegerPower(op, x, type, signOfMinusOne), natural), Attributes.none());
        }
        return Emit.one(op.cast(power, type, op.outputType(0)));
    }

    /** x to a negative integer power: 1 where x is 1, {@code signOfMinusOne} where x is -1, else 0. */
    private static String negativeIntegerPower(OpContext op, String x, DataType type, String signOfMinusOne) {
        String one = op.scalar(type, 1);
        String isOne = op.node(OnnxOperator.EQUAL, List.of(x, one), Attributes.none());
        String isMinusOne = op.node(OnnxOperator.EQUAL, List.of(x, op.scalar(type, -1)), Attributes.none());
        String minusOne = op.node(OnnxOperator.WHERE, List.of(isMinusOne, signOfMinusOne, op.scalar(type, 0)),
                Attributes.none());
        return op.node(OnnxOperator.WHERE, List.of(isOne, one, minusOne), Attributes.none());
    }

    /**
     * PyTorch's remainder, with the sign of the divisor: ONNX Mod for integers; for floats, as
     * PyTorch computes it, fmod plus the divisor where fmod is not 0 and its sign differs from the
     * divisor's (x - floor(x / y) · y rounds differently, and is NaN for an infinite divisor).
     */
    private static List<String> mod(OpContext op) {
        DataType type = computeType(op);
        if (type == DataType.BOOLEAN) {
            throw op.unsupported("a remainder of two boolean operands, which PyTorch rejects");
        }
        List<String> operands = operands(op, type);
        if (!type.isFloating()) {
            String mod = op.node(OnnxOperator.MOD, operands, Attributes.none().integer("fmod", 0));
            return Emit.one(op.cast(mod, type, op.outputType(0)));
        }
        String divisor = operands.get(1);
        String fmod = op.node(OnnxOperator.MOD, operands, Attributes.none().integer("fmod", 1));
        String zero = op.scalar(type, 0);
        String nonZero = op.node(OnnxOperator.NOT, List.of(op.node(OnnxOperator.EQUAL, List.of(fmod, zero),
                Attributes.none())), Attributes.none());
        String signsDiffer = op.node(OnnxOperator.XOR, List.of(
                op.node(OnnxOperator.LESS, List.of(fmod, zero), Attributes.none()),
                op.node(OnnxOperator.LESS, List.of(divisor, zero), Attributes.none())), Attributes.none());
        String corrected = op.node(OnnxOperator.ADD, List.of(fmod, divisor), Attributes.none());
        String mod = op.node(OnnxOperator.WHERE, List.of(op.node(OnnxOperator.AND, List.of(nonZero, signsDiffer),
                Attributes.none()), corrected, fmod), Attributes.none());
        return Emit.one(op.cast(mod, type, op.outputType(0)));
    }

    /** A comparison in the promoted type; booleans, which ONNX does not order, as int32. */
    private static void comparison(OpTable table, String name, OnnxOperator operator, boolean negate) {
        for (String type : List.of("NDArray", "Number")) {
            table.emit(ARRAY, name + "(" + type + ")", op -> {
                DataType compute = Emit.computeType(op);
                if (compute == DataType.BOOLEAN && operator != OnnxOperator.EQUAL) {
                    compute = DataType.INT32;
                }
                String result = op.node(operator, operands(op, compute), Attributes.none());
                return Emit.one(negate ? op.node(OnnxOperator.NOT, List.of(result), Attributes.none()) : result);
            });
        }
    }

    /** PyTorch's logical methods read any non-zero element (NaN included) as true. */
    private static void logical(OpTable table, String name, OnnxOperator operator) {
        table.emit(ARRAY, name + "(NDArray)", op -> Emit.one(op.node(operator,
                List.of(Emit.input(op, 0, DataType.BOOLEAN), Emit.input(op, 1, DataType.BOOLEAN)), Attributes.none())));
    }

    // ---------------------------------------------------------------------------------------------
    // Unary functions

    /** A function in the type DJL returns: integers and booleans become float32 for the float functions. */
    private static void unary(OpTable table, String signature, OnnxOperator operator) {
        table.emit(ARRAY, signature, op -> Emit.one(op.node(operator, List.of(Emit.input(op, 0, op.outputType(0))),
                Attributes.none())));
    }

    /** Floor, ceil and round keep integers as they are (ONNX's take floats only). */
    private static void rounding(OpTable table, String signature, OnnxOperator operator) {
        table.emit(ARRAY, signature, op -> {
            DataType type = op.outputType(0);
            String x = Emit.input(op, 0, type);
            return Emit.one(type.isFloating() ? op.node(operator, List.of(x), Attributes.none())
                    : op.node(OnnxOperator.IDENTITY, List.of(x), Attributes.none()));
        });
    }

    /**
     * The inverse hyperbolic functions, which the PyTorch engine does not implement: the trace
     * computes them by their definitions (in float64), and ONNX has them.
     */
    private static void inverseHyperbolic(OpTable table, String signature, OnnxOperator operator,
            UnaryOperator<NDArray> definition) {
        table.emit(ARRAY, signature, op -> Emit.one(op.node(operator, List.of(Emit.input(op, 0, op.outputType(0))),
                Attributes.none())), (receiver, args) -> {
                    NDArray x = (NDArray) receiver;
                    DataType type = x.getDataType().isFloating() ? x.getDataType() : DataType.FLOAT32;
                    return definition.apply(x.toType(DataType.FLOAT64, false)).toType(type, false);
                });
    }

    /** PyTorch's sign is 0 for NaN, where ONNX's is NaN; booleans are their own sign. */
    private static List<String> sign(OpContext op) {
        DataType type = op.outputType(0);
        String x = Emit.input(op, 0, type);
        if (type == DataType.BOOLEAN) {
            return Emit.one(op.node(OnnxOperator.IDENTITY, List.of(x), Attributes.none()));
        }
        String sign = op.node(OnnxOperator.SIGN, List.of(x), Attributes.none());
        if (!type.isFloating()) {
            return Emit.one(sign);
        }
        String nan = op.node(OnnxOperator.IS_NAN, List.of(x), Attributes.none());
        return Emit.one(op.node(OnnxOperator.WHERE, List.of(nan, op.scalar(type, 0), sign), Attributes.none()));
    }

    /** ONNX Runtime has Erf for float32 only: float64 goes through float32 (about 1e-7 relative). */
    static String erf(OpContext op, String x, DataType type) {
        if (type == DataType.FLOAT64) {
            String erf = op.node(OnnxOperator.ERF, List.of(op.cast(x, type, DataType.FLOAT32)), Attributes.none());
            return op.cast(erf, DataType.FLOAT32, type);
        }
        return op.node(OnnxOperator.ERF, List.of(x), Attributes.none());
    }

    /** The ONNX value of the receiver of IsNaN or IsInf, which take float32 and float64; other types have neither. */
    private static String floats(OpContext op) {
        DataType type = op.type(0);
        return type == DataType.FLOAT32 || type == DataType.FLOAT64 ? op.input(0)
                : op.cast(op.input(0), type, DataType.FLOAT32);
    }

    private static String scaledLog(OpContext op, double base) {
        DataType type = op.outputType(0);
        String log = op.node(OnnxOperator.LOG, List.of(Emit.input(op, 0, type)), Attributes.none());
        return op.node(OnnxOperator.DIV, List.of(log, op.scalar(type, base)), Attributes.none());
    }

    /** x · a / b in the result's type, in PyTorch's order ({@code toDegrees} is {@code mul(180.0).div(Math.PI)}). */
    private static String scaled(OpContext op, double a, double b) {
        DataType type = op.outputType(0);
        String product = op.node(OnnxOperator.MUL, List.of(Emit.input(op, 0, type), op.scalar(type, a)),
                Attributes.none());
        return op.node(OnnxOperator.DIV, List.of(product, op.scalar(type, b)), Attributes.none());
    }

    /** Rounds toward zero: floor for non-negative values, ceil for negative ones; integers stay. */
    private static List<String> trunc(OpContext op) {
        DataType type = op.outputType(0);
        String x = Emit.input(op, 0, type);
        if (!type.isFloating()) {
            return Emit.one(op.node(OnnxOperator.IDENTITY, List.of(x), Attributes.none()));
        }
        String negative = op.node(OnnxOperator.LESS, List.of(x, op.scalar(type, 0)), Attributes.none());
        String ceil = op.node(OnnxOperator.CEIL, List.of(x), Attributes.none());
        String floor = op.node(OnnxOperator.FLOOR, List.of(x), Attributes.none());
        return Emit.one(op.node(OnnxOperator.WHERE, List.of(negative, ceil, floor), Attributes.none()));
    }

    /**
     * The PyTorch engine's cube root is {@code pow(x, 1.0 / 3)}: NaN for negative x, and float64 for
     * integers (the exponent is a float64 0-D array).
     */
    private static List<String> cbrt(OpContext op) {
        DataType type = op.outputType(0);
        return Emit.one(op.node(OnnxOperator.POW, List.of(Emit.input(op, 0, type), op.scalar(type, 1.0 / 3)),
                Attributes.none()));
    }

    private static List<String> matMul(OpContext op) {
        DataType type = op.outputType(0);
        return Emit.one(op.node(OnnxOperator.MAT_MUL, List.of(Emit.input(op, 0, type), Emit.input(op, 1, type)),
                Attributes.none()));
    }
}
