package dev.dualnet.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The PyTorch engine's per-thread autograd controls, for training on several threads at once.
 *
 * <p>DJL's {@code GradientCollector} allows one collector per process, but libtorch itself records
 * and runs backward passes per thread, and accumulates into a parameter's gradient under a lock. The
 * data-parallel workers use these calls directly; everything single-threaded keeps the collector.
 */
final class EngineAutograd {
    private EngineAutograd() {}

    /** Turns recording of operations for gradients on or off for the calling thread. */
    static void recordOnThisThread(boolean record) {
        JniUtils.setGradMode(record);
    }

    /** Sets how many intra-op threads the engine's kernels started from the calling thread use. */
    static void intraOpThreadsOnThisThread(int threads) {
        // libtorch sets up a thread's count lazily, from the process-wide value, on the thread's first
        // parallel kernel; that would overwrite a count set before it, so trigger it first.
        JniUtils.getNumThreads();
        JniUtils.setNumThreads(threads);
    }

    /**
     * Adds the gradient of a scalar loss to every parameter's gradient and frees the recorded graph.
     *
     * @param loss a scalar computed on this thread while recording was on
     */
    static void backward(NDArray loss) {
        try (NDArray seed = loss.onesLike()) {
            JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, false, false);
        }
    }

    /** Sets a parameter's accumulated gradient back to zero in place, keeping its memory. */
    static void clearGradient(NDArray parameter) {
        JniUtils.zeroGrad((PtNDArray) parameter);
    }
}
