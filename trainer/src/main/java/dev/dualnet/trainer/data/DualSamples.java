package dev.dualnet.trainer.data;

import dev.dualnet.common.DualNetInterface;
import java.util.SplittableRandom;

/**
 * Pairs MNIST images with numbers to make the two-input task: input (image, number), targets
 * (digit, digit + number).
 *
 * <p>Numbers are uniform on 0..9. Training numbers and sample order are redrawn every epoch from a
 * generator seeded by (seed, epoch), so an epoch can be replayed exactly without saving generator
 * internals. Test numbers are drawn once from their own seed, so every evaluation sees the same
 * pairs.
 */
public final class DualSamples {
    public static final int MAX_NUMBER = DualNetInterface.NUMBERS - 1;

    private final MnistSplit split;

    public DualSamples(MnistSplit split) {
        this.split = split;
    }

    public int size() {
        return split.size();
    }

    /** The seed of the generator that orders and pairs epoch {@code epoch} (1-based) of a run. */
    public static long epochSeed(long runSeed, int epoch) {
        // SplitMix64 finaliser: distinct, well-mixed seeds for neighbouring (seed, epoch) pairs.
        long z = runSeed * 0x9E3779B97F4A7C15L + epoch;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A shuffled order and fresh numbers for one training epoch. */
    public Plan trainingPlan(long epochSeed) {
        SplittableRandom random = new SplittableRandom(epochSeed);
        int[] order = new int[size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return new Plan(order, numbers(random));
    }

    /** The fixed evaluation pairing: natural order, numbers drawn from {@code testSeed}. */
    public Plan fixedPlan(long testSeed) {
        int[] order = new int[size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        return new Plan(order, numbers(new SplittableRandom(testSeed)));
    }

    private byte[] numbers(SplittableRandom random) {
        byte[] numbers = new byte[size()];
        for (int i = 0; i < numbers.length; i++) {
            numbers[i] = (byte) random.nextInt(MAX_NUMBER + 1);
        }
        return numbers;
    }

    /**
     * Copies positions {@code [from, from + batch.size())} of a plan into the batch buffers,
     * scaling pixels from bytes to [0, 1].
     */
    public void fill(Plan plan, int from, Batch batch) {
        int pixelsPerImage = split.images().pixelsPerImage();
        byte[] pixels = split.images().pixels();
        float[] out = batch.pixels();
        for (int b = 0; b < batch.size(); b++) {
            int sample = plan.order()[from + b];
            int src = sample * pixelsPerImage;
            int dst = b * pixelsPerImage;
            for (int p = 0; p < pixelsPerImage; p++) {
                out[dst + p] = (pixels[src + p] & 0xFF) / 255f;
            }
            int digit = split.labels().get(sample);
            int number = plan.numbers()[sample];
            batch.numbers()[b] = number;
            batch.digits()[b] = digit;
            batch.sums()[b] = digit + number;
        }
    }

    /**
     * An order over the samples and the number paired with each sample.
     *
     * @param order sample indices in the order they are visited
     * @param numbers number paired with sample {@code i}, indexed by sample, not by position
     */
    public record Plan(int[] order, byte[] numbers) {}

    /** Reusable buffers for one batch; {@link #resize} picks how many leading rows are in use. */
    public static final class Batch {
        private final float[] pixels;
        private final long[] numbers;
        private final long[] digits;
        private final long[] sums;
        private final int pixelsPerImage;
        private int size;

        public Batch(int capacity, int pixelsPerImage) {
            this.pixelsPerImage = pixelsPerImage;
            pixels = new float[capacity * pixelsPerImage];
            numbers = new long[capacity];
            digits = new long[capacity];
            sums = new long[capacity];
            size = capacity;
        }

        public void resize(int size) {
            if (size < 0 || size > numbers.length) {
                throw new IllegalArgumentException("batch size " + size + " outside 0.." + numbers.length);
            }
            this.size = size;
        }

        public int size() {
            return size;
        }

        public int pixelsPerImage() {
            return pixelsPerImage;
        }

        public float[] pixels() {
            return pixels;
        }

        public long[] numbers() {
            return numbers;
        }

        public long[] digits() {
            return digits;
        }

        public long[] sums() {
            return sums;
        }
    }
}
