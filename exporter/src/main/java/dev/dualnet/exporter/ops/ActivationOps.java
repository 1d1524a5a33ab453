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
 * computes it, {@code x * tanh(log2(1 + exp(x)))}.
 */
final class ActivationOps {
    private ActivationOps() {}

    static void register(OpTable table) {
        simple(table, "relu()", OnnxOperator.RELU);
        simple(table, "sigmoid()", OnnxOperator.SIGMOID);
        simple(table, "tanh()", OnnxOperator.TANH);
        simple(table, "softPlus()", OnnxOperator.SOFTPLUS);
        simple(table, "softSign()", OnnxOperator.SOFTSIGN);
        simple(table, "selu()", OnnxOperator.SELU);
        table.emit(EX, "leakyRelu(float)", op -> Emit.one(op.node(OnnxOperator.LEAKY_RELU, List.of(op.input(0)),
                Attributes.none().real("alpha", (float) op.number(1)))));
        table.emit(EX, "elu(float)", op -> Emit.one(op.node(OnnxOperator.ELU, List.of(op.input(0)),
                Attributes.none().real("alpha", (float) op.number(1)))));
        table.emit(EX, "gelu()", ActivationOps::gelu);
        table.decompose(EX, "swish(float)");
        table.decompose(EX, "mish()");
        table.emit(ARRAY, "softmax(int)", op -> Emit.one(op.node(OnnxOperator.SOFTMAX,
                List.of(Emit.input(op, 0, op.outputType(0))), Attributes.none().integer("axis", op.fixed(1)))));
        table.emit(ARRAY, "logSoftmax(int)", op -> Emit.one(op.node(OnnxOperator.LOG_SOFTMAX,
                List.of(Emit.input(op, 0, op.outputType(0))), Attributes.none().integer("axis", op.fixed(1)))));
    }

    private static void simple(OpTable table, String signature, OnnxOperator operator) {
        table.emit(EX, signature, op -> Emit.one(op.node(operator, List.of(op.input(0)), Attributes.none())));
    }

    /** 0.5 · x · (1 + erf(x / √2)); ONNX's own Gelu comes only in opset 20. */
    private static List<String> gelu(OpContext op) {
        DataType type = op.outputType(0);
        String x = op.input(0);
        String scaled = op.node(OnnxOperator.DIV, List.of(x, op.scalar(type, Math.sqrt(2))), Attributes.none());
        String erf = op.node(OnnxOperator.ERF, List.of(scaled), Attributes.none());
        String onePlus = op.node(OnnxOperator.ADD, List.of(erf, op.scalar(type, 1)), Attributes.none());
        String half = op.node(OnnxOperator.MUL, List.of(x, op.scalar(type, 0.5)), Attributes.none());
        return Emit.one(op.node(OnnxOperator.MUL, List.of(half, onePlus), Attributes.none()));
    }
}
