package dev.dualnet.showcase.parity;

import dev.dualnet.trainer.data.DualSamples;
import dev.dualnet.trainer.data.MnistSplit;
import org.slf4j.LoggerFactory;

/**
 * Test pairs as flat arrays, the form both engines take: images [n*784] in [0, 1], numbers [n].
 *
 * @param images pixels, image after image
 * @param numbers one number per image
 */
public record PairedSamples(float[] images, long[] numbers) {
    /** The first {@code count} test images (all, if there are fewer) paired with the run's fixed test numbers. */
    public static PairedSamples of(MnistSplit test, long testSeed, int count) {
        DualSamples samples = new DualSamples(test);
        int n = Math.min(count, samples.size());
        if (n < count) {
            LoggerFactory.getLogger(PairedSamples.class).warn("{} test pairs asked for, but the test set has {}; "
                    + "using all of them", count, n);
        }
        DualSamples.Batch batch = new DualSamples.Batch(n, 28 * 28);
        samples.fill(samples.fixedPlan(testSeed), 0, batch);
        float[] images = java.util.Arrays.copyOf(batch.pixels(), n * 28 * 28);
        long[] numbers = java.util.Arrays.copyOf(batch.numbers(), n);
        return new PairedSamples(images, numbers);
    }

    public int size() {
        return numbers.length;
    }

    public int[] numbersAsInts() {
        int[] out = new int[numbers.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) numbers[i];
        }
        return out;
    }
}
