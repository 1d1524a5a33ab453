package dev.dualnet.exporter.ops;

import static dev.dualnet.exporter.ops.OpTable.ARRAY;
import static dev.dualnet.exporter.ops.OpTable.EX;

import ai.djl.ndarray.types.DataType;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxOperator;
import java.util.List;

/**
 * Arithmetic, comparison, logic and elementwise functions of {@code NDArray}, with PyTorch's type
 * promotion: both operands are converted to the type DJL computed in before the ONNX operator,
 * which needs equal types.
 */
final class ElementwiseOps {
    private ElementwiseOps() {}

    static void register(OpTable table) {
        arithmetic(table, "add", OnnxOperator.ADD, true);
        arithmetic(table, "sub", OnnxOperator.SUB, true);
        arithmetic(table, "mul", OnnxOperator.MUL, true);
        arithmetic(table, "div", OnnxOperator.DIV, true);
        arithmetic(table, "maximum", OnnxOperator.MAX, false);
        arithmetic(table, "minimum", OnnxOperator.MIN, false);
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
        unary(table, "asinh()", OnnxOperator.ASINH);
        unary(table, "acosh()", OnnxOperator.ACOSH);
        unary(table, "atanh()", OnnxOperator.ATANH);
        unary(table, "floor()", OnnxOperator.FLOOR);
        unary(table, "ceil()", OnnxOperator.CEIL);
        unary(table, "round()", OnnxOperator.ROUND);
        unary(table, "sign()", OnnxOperator.SIGN);
        table.inPlace(ARRAY, "signi()", "sign()");
        unary(table, "erf()", OnnxOperator.ERF);
        table.emit(ARRAY, "log10()", op -> Emit.one(scaledLog(op, Math.log(10))));
        table.emit(ARRAY, "log2()", op -> Emit.one(scaledLog(op, Math.log(2))));
        table.emit(ARRAY, "square()", op -> {
            String x = Emit.input(op, 0, op.outputType(0));
            return Emit.one(op.node(OnnxOperator.MUL, List.of(x, x), Attributes.none()));
        });
        table.emit(ARRAY, "trunc()", ElementwiseOps::trunc);
        table.emit(ARRAY, "cbrt()", ElementwiseOps::cbrt);
        table.emit(ARRAY, "toDegrees()", op -> Emit.one(op.node(OnnxOperator.MUL,
                List.of(Emit.input(op, 0, op.outputType(0)), op.scalar(op.outputType(0), 180.0 / Math.PI)),
                Attributes.none())));
        table.emit(ARRAY, "toRadians()", op -> Emit.one(op.node(OnnxOperator.MUL,
                List.of(Emit.input(op, 0, op.outputType(0)), op.scalar(op.outputType(0), Math.PI / 180.0)),
                Attributes.none())));
        table.emit(ARRAY, "isNaN()", op -> Emit.one(op.node(OnnxOperator.IS_NAN, List.of(op.input(0)),
                Attributes.none())));
        table.emit(ARRAY, "isInfinite()", op -> Emit.one(op.node(OnnxOperator.IS_INF, List.of(op.input(0)),
                Attributes.none())));
        table.emit(ARRAY, "clip(Number,Number)", op -> {
            DataType type = op.outputType(0);
            return Emit.one(op.node(OnnxOperator.CLIP, List.of(Emit.input(op, 0, type), Emit.scalarArg(op, 1, type),
                    Emit.scalarArg(op, 2, type)), Attributes.none()));
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

    private static void arithmetic(OpTable table, String name, OnnxOperator operator, boolean inPlaceTwin) {
        for (String type : List.of("NDArray", "Number")) {
            table.emit(ARRAY, name + "(" + type + ")", op -> Emit.one(op.node(operator,
                    Emit.operands(op, op.outputType(0)), Attributes.none())));
            if (inPlaceTwin) {
                table.inPlace(ARRAY, name + "i(" + type + ")", name + "(" + type + ")");
            }
        }
    }

    private static void comparison(OpTable table, String name, OnnxOperator operator, boolean negate) {
        for (String type : List.of("NDArray", "Number")) {
            table.emit(ARRAY, name + "(" + type + ")", op -> {
                String result = op.node(operator, Emit.operands(op, Emit.computeType(op)), Attributes.none());
                return Emit.one(negate ? op.node(OnnxOperator.NOT, List.of(result), Attributes.none()) : result);
            });
        }
    }

    private static void logical(OpTable table, String name, OnnxOperator operator) {
        table.emit(ARRAY, name + "(NDArray)", op -> Emit.one(op.node(operator,
                List.of(Emit.input(op, 0, DataType.BOOLEAN), Emit.input(op, 1, DataType.BOOLEAN)), Attributes.none())));
    }

    private static void unary(OpTable table, String signature, OnnxOperator operator) {
        table.emit(ARRAY, signature, op -> Emit.one(op.node(operator, List.of(Emit.input(op, 0, op.outputType(0))),
                Attributes.none())));
    }

    private static String scaledLog(OpContext op, double base) {
        DataType type = op.outputType(0);
        String log = op.node(OnnxOperator.LOG, List.of(Emit.input(op, 0, type)), Attributes.none());
        return op.node(OnnxOperator.DIV, List.of(log, op.scalar(type, base)), Attributes.none());
    }

    /** PyTorch's pow: the result has the promoted type; ONNX Pow keeps the base's type. */
    private static List<String> pow(OpContext op) {
        List<String> operands = Emit.operands(op, op.outputType(0));
        return Emit.one(op.node(OnnxOperator.POW, operands, Attributes.none()));
    }

    /** PyTorch's remainder takes the sign of the divisor: ONNX Mod for integers, x - floor(x / y) * y for floats. */
    private static List<String> mod(OpContext op) {
        DataType type = op.outputType(0);
        List<String> operands = Emit.operands(op, type);
        if (!type.isFloating()) {
            return Emit.one(op.node(OnnxOperator.MOD, operands, Attributes.none().integer("fmod", 0)));
        }
        String quotient = op.node(OnnxOperator.DIV, operands, Attributes.none());
        String floor = op.node(OnnxOperator.FLOOR, List.of(quotient), Attributes.none());
        String product = op.node(OnnxOperator.MUL, List.of(floor, operands.get(1)), Attributes.none());
        return Emit.one(op.node(OnnxOperator.SUB, List.of(operands.get(0), product), Attributes.none()));
    }

    /** Rounds toward zero: floor for non-negative values, ceil for negative ones. */
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

    /** The real cube root: sign(x) * |x|^(1/3). */
    private static List<String> cbrt(OpContext op) {
        DataType type = op.outputType(0);
        String x = Emit.input(op, 0, type);
        String magnitude = op.node(OnnxOperator.POW, List.of(op.node(OnnxOperator.ABS, List.of(x), Attributes.none()),
                op.scalar(type, 1.0 / 3.0)), Attributes.none());
        String sign = op.node(OnnxOperator.SIGN, List.of(x), Attributes.none());
        return Emit.one(op.node(OnnxOperator.MUL, List.of(sign, magnitude), Attributes.none()));
    }

    private static List<String> matMul(OpContext op) {
        DataType type = op.outputType(0);
        return Emit.one(op.node(OnnxOperator.MAT_MUL, List.of(Emit.input(op, 0, type), Emit.input(op, 1, type)),
                Attributes.none()));
    }
}
