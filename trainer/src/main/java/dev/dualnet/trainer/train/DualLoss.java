package dev.dualnet.trainer.train;

import ai.djl.ndarray.NDArray;

/** The training objective: digit cross-entropy plus sum cross-entropy, each a batch mean. */
public final class DualLoss {
    private DualLoss() {}

    /**
     * @param digitLogits [N,10]
     * @param sumLogits [N,19]
     * @param digits int64 [N]
     * @param sums int64 [N]
     * @return scalar loss
     */
    public static NDArray of(NDArray digitLogits, NDArray sumLogits, NDArray digits, NDArray sums) {
        return crossEntropy(digitLogits, digits).add(crossEntropy(sumLogits, sums));
    }

    /** Mean softmax cross-entropy of logits [N,C] against int64 class indices [N]. */
    static NDArray crossEntropy(NDArray logits, NDArray labels) {
        return logits.logSoftmax(1).gather(labels.reshape(-1, 1), 1).mean().neg();
    }
}
