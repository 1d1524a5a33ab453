package dev.dualnet.runtime.parity;

import dev.dualnet.runtime.Prediction;

/**
 * How one output of a runtime compares with the reference.
 *
 * @param name output name
 * @param shapeMatches whether shapes are equal
 * @param dtypeMatches whether element types are equal
 * @param elements elements compared
 * @param maxAbsError largest |actual - expected|
 * @param maxRelError largest |actual - expected| / |expected| over elements with expected != 0
 * @param outsideTolerance elements beyond both the absolute and the relative tolerance
 * @param rows rows (samples) compared for argmax
 * @param argmaxAgreements rows whose argmax matches
 */
public record OutputComparison(String name, boolean shapeMatches, boolean dtypeMatches, long elements,
        double maxAbsError, double maxRelError, long outsideTolerance, long rows, long argmaxAgreements) {

    public double outsideToleranceShare() {
        return elements == 0 ? 0 : (double) outsideTolerance / elements;
    }

    public double argmaxAgreement() {
        return rows == 0 ? 0 : (double) argmaxAgreements / rows;
    }

    /** Shapes and types match, every element is within tolerance, and every argmax agrees. */
    public boolean passed() {
        return shapeMatches && dtypeMatches && outsideTolerance == 0 && argmaxAgreements == rows;
    }

    /**
     * Compares row-major [rows, columns] float outputs. An element fails only if it is beyond both
     * {@code atol} and {@code rtol * |expected|}; NaN anywhere fails.
     */
    public static OutputComparison of(String name, float[] expected, float[] actual, int columns, double atol,
            double rtol) {
        if (expected.length != actual.length || columns <= 0 || expected.length % columns != 0) {
            return new OutputComparison(name, false, true, 0, Double.NaN, Double.NaN, Math.max(expected.length, 1), 0, 0);
        }
        double maxAbs = 0;
        double maxRel = 0;
        long outside = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            double diff = Math.abs(a - e);
            if (Double.isNaN(diff)) {
                outside++;
                maxAbs = Double.NaN;
                continue;
            }
            maxAbs = Math.max(maxAbs, diff);
            if (e != 0) {
                maxRel = Math.max(maxRel, diff / Math.abs(e));
            }
            if (diff > atol && diff > rtol * Math.abs(e)) {
                outside++;
            }
        }
        long rows = expected.length / columns;
        long agree = 0;
        for (int r = 0; r < rows; r++) {
            if (Prediction.argMax(expected, r * columns, columns) == Prediction.argMax(actual, r * columns, columns)) {
                agree++;
            }
        }
        return new OutputComparison(name, true, true, expected.length, maxAbs, maxRel, outside, rows, agree);
    }
}
