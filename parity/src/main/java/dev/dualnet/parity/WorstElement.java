package dev.dualnet.parity;

import java.util.Arrays;

/**
 * The element of an output that differs most from the reference: the one a person looks at first
 * when an output fails, and a measure of the margin when it passes.
 *
 * @param index the element's position in the flat, row-major data
 * @param coordinates the same position as one index per dimension of the shape
 * @param expected the reference's value, as compared (booleans as 0 and 1, float16 as its value)
 * @param actual the runtime's value, as compared
 */
public record WorstElement(long index, long[] coordinates, double expected, double actual) {
    public WorstElement {
        coordinates = coordinates.clone();
    }

    /** The element at flat {@code index} of a row-major tensor of {@code shape}. */
    public static WorstElement at(long index, long[] shape, double expected, double actual) {
        long[] coordinates = new long[shape.length];
        long rest = index;
        for (int d = shape.length - 1; d >= 0; d--) {
            coordinates[d] = rest % shape[d];
            rest /= shape[d];
        }
        return new WorstElement(index, coordinates, expected, actual);
    }

    @Override
    public long[] coordinates() {
        return coordinates.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WorstElement w && w.index == index && Arrays.equals(w.coordinates, coordinates)
                && Double.compare(w.expected, expected) == 0 && Double.compare(w.actual, actual) == 0;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(index) * 31 + Arrays.hashCode(coordinates);
    }

    @Override
    public String toString() {
        return "WorstElement[index=" + index + ", coordinates=" + Arrays.toString(coordinates) + ", expected="
                + expected + ", actual=" + actual + "]";
    }
}
