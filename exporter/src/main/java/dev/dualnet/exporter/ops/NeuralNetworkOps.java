package dev.dualnet.exporter.ops;

import static dev.dualnet.exporter.ops.OpTable.EX;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxOperator;
import java.util.ArrayList;
import java.util.List;

/**
 * The layers of {@code NDArrayEx}: linear, convolution and deconvolution (1-D to 3-D, with groups,
 * dilation and padding), batch and layer normalization at inference, embedding, PReLU and dropout
 * (which disappears at inference).
 */
final class NeuralNetworkOps {
    private NeuralNetworkOps() {}

    static void register(OpTable table) {
        table.emit(EX, "linear(NDArray,NDArray,NDArray)", NeuralNetworkOps::linear);
        table.emit(EX, "convolution(NDArray,NDArray,NDArray,Shape,Shape,Shape,int)", NeuralNetworkOps::convolution);
        table.emit(EX, "deconvolution(NDArray,NDArray,NDArray,Shape,Shape,Shape,Shape,int)",
                NeuralNetworkOps::deconvolution, NeuralNetworkOps::engineDeconvolution);
        table.emit(EX, "batchNorm(NDArray,NDArray,NDArray,NDArray,NDArray,int,float,float,boolean)",
                NeuralNetworkOps::batchNorm);
        table.emit(EX, "layerNorm(NDArray,Shape,NDArray,NDArray,float)", NeuralNetworkOps::layerNorm);
        table.emit(EX, "embedding(NDArray,NDArray,SparseFormat)", op -> Emit.one(op.node(OnnxOperator.GATHER,
                List.of(op.input(2), op.input(1)), Attributes.none().integer("axis", 0))));
        table.emit(EX, "dropout(NDArray,float,boolean)", op -> {
            if (op.arg(3, Boolean.class)) {
                throw op.unsupported("dropout in training mode");
            }
            return Emit.one(op.input(1));
        });
        table.emit(EX, "prelu(NDArray,NDArray)", op -> Emit.one(op.node(OnnxOperator.PRELU,
                List.of(op.input(1), op.input(2)), Attributes.none())), NeuralNetworkOps::prelu);
    }

    /**
     * The engine's transposed convolution. The PyTorch engine has none (DJL's {@code Conv1dTranspose}
     * and {@code Conv2dTranspose} fail in their own forward pass), so there is no result to match;
     * the failure says so rather than "Not implemented".
     */
    private static Object engineDeconvolution(Object ex, Object[] args) {
        try {
            return ((ai.djl.ndarray.internal.NDArrayEx) ex).deconvolution((ai.djl.ndarray.NDArray) args[0],
                    (ai.djl.ndarray.NDArray) args[1], (ai.djl.ndarray.NDArray) args[2], (Shape) args[3],
                    (Shape) args[4], (Shape) args[5], (Shape) args[6], (Integer) args[7]);
        } catch (UnsupportedOperationException e) {
            throw new UnsupportedOperationException("DJL's PyTorch engine does not implement NDArrayEx.deconvolution"
                    + " (Conv1dTranspose, Conv2dTranspose): the block cannot run in DJL, so there is no forward pass"
                    + " to export", e);
        }
    }

    /** DJL's definition, max(0, x) + alpha · min(0, x), for engines without a PReLU kernel. */
    private static Object prelu(Object ex, Object[] args) {
        ai.djl.ndarray.NDArray x = (ai.djl.ndarray.NDArray) args[0];
        ai.djl.ndarray.NDArray alpha = (ai.djl.ndarray.NDArray) args[1];
        return new ai.djl.ndarray.NDList(x.maximum(0f).add(alpha.mul(x.minimum(0f))));
    }

    /** y = x · Wᵀ + b: Gemm for a matrix, MatMul and Add for other ranks. */
    private static List<String> linear(OpContext op) {
        String x = op.input(1);
        String weight = op.input(2);
        boolean bias = !op.isNull(3);
        if (op.rank(1) == 2) {
            List<String> inputs = bias ? List.of(x, weight, op.input(3)) : List.of(x, weight);
            return Emit.one(op.node(OnnxOperator.GEMM, inputs, Attributes.none().integer("transB", 1)));
        }
        String product = op.node(OnnxOperator.MAT_MUL, List.of(x, Emit.transpose(op, weight, 1, 0)), Attributes.none());
        return Emit.one(bias ? op.node(OnnxOperator.ADD, List.of(product, op.input(3)), Attributes.none()) : product);
    }

    private static List<String> convolution(OpContext op) {
        int spatial = op.rank(1) - 2;
        Attributes attributes = Attributes.none()
                .ints("kernel_shape", kernel(op, 2, spatial))
                .ints("strides", fill(op.fixedDims(4), spatial, 1))
                .ints("pads", pads(fill(op.fixedDims(5), spatial, 0)))
                .ints("dilations", fill(op.fixedDims(6), spatial, 1))
                .integer("group", op.fixed(7));
        return Emit.one(op.node(OnnxOperator.CONV, inputs(op), attributes));
    }

    private static List<String> deconvolution(OpContext op) {
        int spatial = op.rank(1) - 2;
        Attributes attributes = Attributes.none()
                .ints("kernel_shape", kernel(op, 2, spatial))
                .ints("strides", fill(op.fixedDims(4), spatial, 1))
                .ints("pads", pads(fill(op.fixedDims(5), spatial, 0)))
                .ints("output_padding", fill(op.fixedDims(6), spatial, 0))
                .ints("dilations", fill(op.fixedDims(7), spatial, 1))
                .integer("group", op.fixed(8));
        return Emit.one(op.node(OnnxOperator.CONV_TRANSPOSE, inputs(op), attributes));
    }

    private static List<String> inputs(OpContext op) {
        List<String> inputs = new ArrayList<>(List.of(op.input(1), op.input(2)));
        if (!op.isNull(3)) {
            inputs.add(op.input(3));
        }
        return inputs;
    }

    private static long[] kernel(OpContext op, int weightArg, int spatial) {
        List<Dim> weight = op.shape(weightArg);
        long[] kernel = new long[spatial];
        for (int i = 0; i < spatial; i++) {
            kernel[i] = weight.get(2 + i).size();
        }
        return kernel;
    }

    /** A per-axis setting; DJL lets a single value or an empty shape stand for all axes. */
    private static long[] fill(long[] given, int spatial, long fallback) {
        if (given.length == spatial) {
            return given;
        }
        long[] filled = new long[spatial];
        java.util.Arrays.fill(filled, given.length == 1 ? given[0] : fallback);
        return filled;
    }

    /** Symmetric padding as ONNX writes it: every begin, then every end. */
    private static long[] pads(long[] padding) {
        long[] pads = new long[padding.length * 2];
        for (int i = 0; i < padding.length; i++) {
            pads[i] = padding[i];
            pads[i + padding.length] = padding[i];
        }
        return pads;
    }

    /**
     * Inference batch normalization with the running statistics. The PyTorch engine normalizes
     * over axis 1 when DJL passes -1 and swaps {@code axis} into place otherwise; so does this.
     */
    private static List<String> batchNorm(OpContext op) {
        if (op.arg(9, Boolean.class)) {
            throw op.unsupported("batch normalization in training mode");
        }
        int rank = op.rank(1);
        long axis = op.fixed(6) == -1 ? 1 : Emit.axis(op.fixed(6), rank);
        DataType type = op.outputType(0);
        long channels = op.shape(2).get(0).size();
        String x = op.input(1);
        if (axis != 1) {
            x = Emit.transpose(op, x, Emit.swap(rank, 1, axis));
        }
        String scale = op.isNull(4) ? op.constant(type, new long[] {channels}, filled(channels, 1f)) : op.input(4);
        String bias = op.isNull(5) ? op.constant(type, new long[] {channels}, filled(channels, 0f)) : op.input(5);
        String normalized = op.node(OnnxOperator.BATCH_NORMALIZATION, List.of(x, scale, bias, op.input(2), op.input(3)),
                Attributes.none().real("epsilon", (float) op.number(8)));
        if (axis != 1) {
            normalized = Emit.transpose(op, normalized, Emit.swap(rank, 1, axis));
        }
        return Emit.one(normalized);
    }

    private static float[] filled(long size, float value) {
        float[] values = new float[Math.toIntExact(size)];
        java.util.Arrays.fill(values, value);
        return values;
    }

    /**
     * Normalization over the last axes named by {@code normalizedShape}: ONNX LayerNormalization from
     * opset 17, its definition written out before.
     */
    private static List<String> layerNorm(OpContext op) {
        int rank = op.rank(1);
        Shape normalizedShape = op.arg(2, Shape.class);
        long axis = rank - normalizedShape.dimension();
        DataType type = op.outputType(0);
        float epsilon = (float) op.number(5);
        String x = op.input(1);
        if (op.opset() >= 17) {
            long[] dims = normalizedShape.getShape();
            long size = normalizedShape.size();
            String scale = op.isNull(3) ? op.constant(type, dims, filled(size, 1f)) : op.input(3);
            List<String> inputs = op.isNull(4) ? List.of(x, scale) : List.of(x, scale, op.input(4));
            return Emit.one(op.node(OnnxOperator.LAYER_NORMALIZATION, inputs,
                    Attributes.none().integer("axis", axis).real("epsilon", epsilon)));
        }
        long[] axes = Emit.range((int) axis, rank);
        String mean = Emit.reduce(op, OnnxOperator.REDUCE_MEAN, x, axes, true);
        String centered = op.node(OnnxOperator.SUB, List.of(x, mean), Attributes.none());
        String squared = op.node(OnnxOperator.MUL, List.of(centered, centered), Attributes.none());
        String variance = Emit.reduce(op, OnnxOperator.REDUCE_MEAN, squared, axes, true);
        String std = op.node(OnnxOperator.SQRT, List.of(op.node(OnnxOperator.ADD,
                List.of(variance, op.scalar(type, epsilon)), Attributes.none())), Attributes.none());
        String y = op.node(OnnxOperator.DIV, List.of(centered, std), Attributes.none());
        if (!op.isNull(3)) {
            y = op.node(OnnxOperator.MUL, List.of(y, op.input(3)), Attributes.none());
        }
        if (!op.isNull(4)) {
            y = op.node(OnnxOperator.ADD, List.of(y, op.input(4)), Attributes.none());
        }
        return Emit.one(y);
    }
}
