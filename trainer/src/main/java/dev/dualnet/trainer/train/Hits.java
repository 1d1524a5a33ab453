package dev.dualnet.trainer.train;

import ai.djl.ndarray.NDList;
import dev.dualnet.trainer.data.DualSamples.Batch;

/**
 * How many rows of a batch the network got right.
 *
 * @param digit rows whose digit was predicted right
 * @param sum rows whose sum was predicted right
 * @param both rows with both right
 */
record Hits(long digit, long sum, long both) {
    /**
     * Compares the network's outputs for a batch with its labels.
     *
     * @param out digit logits [N, 10] and sum logits [N, 19]
     */
    static Hits of(NDList out, Batch batch) {
        long[] digitPred = out.get(0).argMax(1).toLongArray();
        long[] sumPred = out.get(1).argMax(1).toLongArray();
        long digit = 0;
        long sum = 0;
        long both = 0;
        for (int i = 0; i < batch.size(); i++) {
            boolean digitOk = digitPred[i] == batch.digits()[i];
            boolean sumOk = sumPred[i] == batch.sums()[i];
            digit += digitOk ? 1 : 0;
            sum += sumOk ? 1 : 0;
            both += digitOk && sumOk ? 1 : 0;
        }
        return new Hits(digit, sum, both);
    }
}
