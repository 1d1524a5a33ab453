package dev.dualnet.exporter.ops;

import static dev.dualnet.exporter.ops.OpTable.ARRAY;
import static dev.dualnet.exporter.ops.OpTable.EX;

import ai.djl.ndarray.types.DataType;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxOperator;
import java.util.List;

/**
 * DJL's activations, as the PyTorch engine computes them. GELU is the exact (erf) form. Swish and
 * Mish have no engine kernel in DJL: their default methods are followed, so Mish exports as DJL
 * computes it, {@code x * tanh(log2(1 + exp(x)))}. ONNX Runtime has Softplus, Softsign, Elu and
 * Selu for float32 only: float64 gets their definitions written out.
 */
final class ActivationOps {
    /** PyTorch's softplus returns x itself above this. */
    private static final double SOFTPLUS_THRESHOLD = 20;
    /** PyTorch's SELU constants, in double precision. */
    private static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    private static final double SELU_SCALE = 1.0507009873554804934193349852946;

    private ActivationOps() {}

    static void register(OpTable table) {
        table.emit(EX, "relu()", ActivationOps::relu);
        simple(table, "sigmoid()", OnnxOperator.SIGMOID);
        simple(table, "tanh()", OnnxOperator.TANH);
        table.emit(EX, "softPlus()", ActivationOps::softPlus);
        table.emit(EX, "softSign()", ActivationOps::softSign);
        table.emit(EX, "selu()", ActivationOps::selu);
        table.emit(EX, "leakyRelu(float)", op -> Emit.one(op.node(OnnxOperator.LEAKY_RELU, List.of(op.input(0)),
                Attributes.none().real("alpha", (float) op.number(1)))));
        table.emit(EX, "elu(float)", ActivationOps::elu);
        table.emit(EX, "gelu()", ActivationOps::gelu);
        table.decompose(EX, "swish(float)");
        table.decompose(EX, "mish()");
        table.emit(ARRAY, "softmax(int)", op -> Emit.one(op.node(OnnxOperator.SOFTMAX,
                List.of(Emit.input(op, 0, op.outputType(0))), Attributes.none().integer("axis", op.fixed(1)))));
        table.emit(ARRAY, "logSoftmax(int)", op -> Emit.one(op.node(OnnxOperator.LOG_SOFTMAX,
                List.of(Emit.input(op, 0, op.outputType(0))), Attributes.none().integer("axis", op.fixed(1)))));
    }

    /** An activation in the type DJL returns: PyTorch computes sigmoid and tanh of integers in float32. */
    private static void simple(OpTable table, String signature, OnnxOperator operator) {
        table.emit(EX, signature, op -> Emit.one(op.node(operator, List.of(Emit.input(op, 0, op.outputType(0))),
                Attributes.none())));
    }

    /** PyTorch's relu keeps integers, which ONNX's Relu takes only from opset 14: max(x, 0) for them. */
    private static List<String> relu(OpContext op) {
        DataType type = op.outputType(0);
        if (type.isFloating()) {
            return Emit.one(op.node(OnnxOperator.RELU, List.of(op.input(0)), Attributes.none()));
        }
        return Emit.one(op.node(OnnxOperator.MAX, List.of(op.input(0), op.scalar(type, 0)), Attributes.none()));
    }

    /**
     * log(1 + eˣ), and x itself above PyTorch's threshold of 20: ONNX's Softplus, written as
     * defined, overflows to infinity for large x.
     */
    private static List<String> softPlus(OpContext op) {
        DataType type = op.outputType(0);
        String x = op.input(0);
        String softplus;
        if (type == DataType.FLOAT64) {
            String exp = op.node(OnnxOperator.EXP, List.of(x), Attributes.none());
            softplus = op.node(OnnxOperator.LOG, List.of(op.node(OnnxOperator.ADD, List.of(exp, op.scalar(type, 1)),
                    Attributes.none())), Attributes.none());
        } else {
            softplus = op.node(OnnxOperator.SOFTPLUS, List.of(x), Attributes.none());
        }
        String above = op.node(OnnxOperator.GREATER, List.of(x, op.scalar(type, SOFTPLUS_THRESHOLD)),
                Attributes.none());
        return Emit.one(op.node(OnnxOperator.WHERE, List.of(above, x, softplus), Attributes.none()));
    }

    /** x / (1 + |x|); integers in float32. */
    private static List<String> softSign(OpContext op) {
        DataType type = op.outputType(0);
        String x = Emit.input(op, 0, type);
        if (type != DataType.FLOAT64) {
            return Emit.one(op.node(OnnxOperator.SOFTSIGN, List.of(x), Attributes.none()));
        }
        String abs = op.node(OnnxOperator.ABS, List.of(x), Attributes.none());
        String denominator = op.node(OnnxOperator.ADD, List.of(abs, op.scalar(type, 1)), Attributes.none());
        return Emit.one(op.node(OnnxOperator.DIV, List.of(x, denominator), Attributes.none()));
    }

    private static List<String> elu(OpContext op) {
        DataType type = op.outputType(0);
        float alpha = (float) op.number(1);
        if (type != DataType.FLOAT64) {
            return Emit.one(op.node(OnnxOperator.ELU, List.of(op.input(0)), Attributes.none().real("alpha", alpha)));
        }
        return Emit.one(eluDefinition(op, op.input(0), type, alpha));
    }

    private static List<String> selu(OpContext op) {
        DataType type = op.outputType(0);
        if (type != DataType.FLOAT64) {
            return Emit.one(op.node(OnnxOperator.SELU, List.of(op.input(0)), Attributes.none()));
        }
        String elu = eluDefinition(op, op.input(0), type, SELU_ALPHA);
        return Emit.one(op.node(OnnxOperator.MUL, List.of(elu, op.scalar(type, SELU_SCALE)), Attributes.none()));
    }

    /** x for x > 0, alpha · (eˣ - 1) otherwise. */
    private static String eluDefinition(OpContext op, String x, DataType type, double alpha) {
        String exp = op.node(OnnxOperator.EXP, List.of(x), Attributes.none());
        String negative = op.node(OnnxOperator.MUL, List.of(op.node(OnnxOperator.SUB, List.of(exp, op.scalar(type, 1)),
                Attributes.none()), op.scalar(type, alpha)), Attributes.none());
        String positive = op.node(OnnxOperator.GREATER, List.of(x, op.scalar(type, 0)), Attributes.none());
        return op.node(OnnxOperator.WHERE, List.of(positive, x, negative), Attributes.none());
    }

    /** 0.5 · x · (1 + erf(x / √2)); ONNX's own Gelu comes only in opset 20. */
    private static List<String> gelu(OpContext op) {
        DataType type = op.outputType(0);
        String x = op.input(0);
        String scaled = op.node(OnnxOperator.DIV, List.of(x, op.scalar(type, Math.sqrt(2))), Attributes.none());
        String erf = ElementwiseOps.erf(op, scaled, type);
        String onePlus = op.node(OnnxOperator.ADD, List.of(erf, op.scalar(type, 1)), Attributes.none());
        String half = op.node(OnnxOperator.MUL, List.of(x, op.scalar(type, 0.5)), Attributes.none());
        return Emit.one(op.node(OnnxOperator.MUL, List.of(half, onePlus), Attributes.none()));
    }
}
