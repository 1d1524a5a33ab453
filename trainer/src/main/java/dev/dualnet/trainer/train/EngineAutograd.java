package dev.dualnet.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

/**
 * The PyTorch engine's autograd calls that DJL's API lacks: clearing a parameter's gradient in place,
 * and adding to it a gradient computed outside the autograd graph.
 */
final class EngineAutograd {
    private EngineAutograd() {}

    /** Sets a parameter's accumulated gradient back to zero in place, keeping its memory. */
    static void clearGradient(NDArray parameter) {
        JniUtils.zeroGrad((PtNDArray) parameter);
    }

    /**
     * Adds {@code gradient} to a parameter's accumulated gradient in place, as autograd's own
     * accumulation does. DJL's {@code getGradient} hands out a detached array of zeros while the
     * parameter has no gradient tensor yet (before its first backward pass), so that case goes through
     * {@code collector}: a backward pass of the sum of {@code gradient ⊙ parameter}, whose gradient with
     * respect to the parameter is exactly {@code gradient}, creates the tensor.
     */
    static void addToGradient(NDArray parameter, NDArray gradient, GradientCollector collector) {
        PtNDArray accumulated = JniUtils.getGradient((PtNDArray) parameter);
        if (accumulated == null) {
            // The gradient's scope comes first so that the product lands there, not in the model's.
            collector.backward(gradient.mul(parameter).sum());
            return;
        }
        try (accumulated) {
            accumulated.addi(gradient);
        }
    }
}
