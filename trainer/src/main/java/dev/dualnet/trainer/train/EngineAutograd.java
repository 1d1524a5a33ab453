package dev.dualnet.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The PyTorch engine's autograd call that DJL's API lacks: clearing one parameter's gradient in place.
 */
final class EngineAutograd {
    private EngineAutograd() {}

    /** Sets a parameter's accumulated gradient back to zero in place, keeping its memory. */
    static void clearGradient(NDArray parameter) {
        JniUtils.zeroGrad((PtNDArray) parameter);
    }
}
