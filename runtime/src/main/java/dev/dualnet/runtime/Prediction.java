package dev.dualnet.runtime;

/**
 * What the network says about one (image, number) pair.
 *
 * @param digit most probable digit, 0..9
 * @param sum most probable digit + number, 0..18
 * @param digitProbabilities 10 probabilities
 * @param sumProbabilities 19 probabilities
 */
public record Prediction(int digit, int sum, float[] digitProbabilities, float[] sumProbabilities) {
    /** Index, relative to {@code from}, of the largest of {@code length} values; the first on ties. */
    public static int argMax(float[] values, int from, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
            if (values[from + i] > values[from + best]) {
                best = i;
            }
        }
        return best;
    }
}
