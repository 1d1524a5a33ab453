package dev.dualnet.showcase.parity;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dualnet.trainer.model.DualNetModel;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/**
 * The training engine's (DJL/PyTorch) probabilities for paired samples: softmax of each head's
 * logits, in inference mode, the reference an exported model must reproduce.
 *
 * @param digit [n*10] digit probabilities
 * @param sum [n*19] sum probabilities
 */
public record EngineOutputs(float[] digit, float[] sum) {
    private static final int BATCH = 500;

    public static EngineOutputs of(DualNetModel model, PairedSamples samples) {
        int n = samples.size();
        float[] digit = new float[n * 10];
        float[] sum = new float[n * 19];
        for (int from = 0; from < n; from += BATCH) {
            int rows = Math.min(BATCH, n - from);
            try (NDManager scope = model.manager().newSubManager()) {
                NDList inputs = new NDList(
                        scope.create(FloatBuffer.wrap(samples.images(), from * 784, rows * 784).slice(),
                                new Shape(rows, 1, 28, 28)),
                        scope.create(LongBuffer.wrap(samples.numbers(), from, rows).slice(), new Shape(rows)));
                NDList out = model.forward(inputs, false);
                System.arraycopy(out.get(0).softmax(1).toFloatArray(), 0, digit, from * 10, rows * 10);
                System.arraycopy(out.get(1).softmax(1).toFloatArray(), 0, sum, from * 19, rows * 19);
            }
        }
        return new EngineOutputs(digit, sum);
    }
}
