package dev.dualnet.parity;

import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.Float16;
import dev.dualnet.runtime.NamedTensor;
import java.lang.reflect.Array;
import java.util.Arrays;

/**
 * How one output of the runtime compares with its reference, for any element type and shape.
 *
 * <p>It passes when the runtime produced the output, its element type and shape equal the
 * reference's, and every element is within the {@link Tolerance}. {@link #argmax()} is reported
 * beside that verdict and does not change it.
 *
 * @param name output name
 * @param expectedType the reference's element type
 * @param actualType the runtime's element type, null when it produced no such output
 * @param expectedShape the reference's shape
 * @param actualShape the runtime's shape, null when it produced no such output
 * @param elements elements compared (0 when the shapes differ)
 * @param maxAbsError largest |actual - expected|; NaN when any element is NaN on one side only
 * @param maxRelError largest |actual - expected| / |expected| over elements with expected != 0
 * @param outsideTolerance elements beyond both the absolute and the relative tolerance
 * @param argmax class agreement for float outputs of rank 2 or more, else null
 * @param worst the element that differs most: of those outside tolerance when any are (NaN against
 *     a number first, then the largest |actual - expected|), else the one with the largest
 *     difference; null when every element is equal or the shapes differ
 */
public record TensorComparison(String name, ElementType expectedType, ElementType actualType, long[] expectedShape,
        long[] actualShape, long elements, double maxAbsError, double maxRelError, long outsideTolerance,
        ArgmaxAgreement argmax, WorstElement worst) {

    /** Whether the runtime produced this output at all. */
    public boolean present() {
        return actualShape != null;
    }

    public boolean shapeMatches() {
        return present() && Arrays.equals(expectedShape, actualShape);
    }

    public boolean dtypeMatches() {
        return present() && expectedType == actualType;
    }

    /** The tolerance verdict: present, same type and shape, and every element within tolerance. */
    public boolean passed() {
        return shapeMatches() && dtypeMatches() && outsideTolerance == 0;
    }

    /** The share of compared elements outside tolerance. */
    public double outsideToleranceShare() {
        return elements == 0 ? 0 : (double) outsideTolerance / elements;
    }

    /** An output the reference has and the runtime did not produce. */
    public static TensorComparison missing(NamedTensor expected) {
        return new TensorComparison(expected.name(), expected.type(), null, expected.shape(), null, 0, Double.NaN,
                Double.NaN, NamedTensor.elementCount(expected.shape()), null, null);
    }

    /**
     * Compares element by element. Values are compared as doubles (booleans as 0 and 1, float16 as
     * the values their bits stand for), so a type mismatch still shows how far apart the values
     * are; it fails all the same. Elements equal on both sides pass, NaN against NaN and
     * infinities included; NaN against a number fails.
     */
    public static TensorComparison of(NamedTensor expected, NamedTensor actual, Tolerance tolerance) {
        long[] expectedShape = expected.shape();
        long[] actualShape = actual.shape();
        if (!Arrays.equals(expectedShape, actualShape)) {
            return new TensorComparison(expected.name(), expected.type(), actual.type(), expectedShape, actualShape,
                    0, Double.NaN, Double.NaN, NamedTensor.elementCount(expectedShape), null, null);
        }
        Object want = expected.data();
        Object got = actual.data();
        int n = Array.getLength(want);
        double maxAbs = 0;
        double maxRel = 0;
        long outside = 0;
        int worst = -1;
        boolean worstOutside = false;
        double worstDiff = 0;
        for (int i = 0; i < n; i++) {
            double e = valueAt(expected.type(), want, i);
            double a = valueAt(actual.type(), got, i);
            if (Double.compare(e, a) == 0 || e == a) {
                continue;
            }
            double diff = Math.abs(a - e);
            boolean beyond = Double.isNaN(diff) || !tolerance.allows(e, a);
            if (worst < 0 || worse(beyond, diff, worstOutside, worstDiff)) {
                worst = i;
                worstOutside = beyond;
                worstDiff = diff;
            }
            if (Double.isNaN(diff)) {
                maxAbs = Double.NaN;
                outside++;
                continue;
            }
            maxAbs = Math.max(maxAbs, diff);
            if (e != 0) {
                maxRel = Math.max(maxRel, diff / Math.abs(e));
            }
            if (beyond) {
                outside++;
            }
        }
        WorstElement worstElement = worst < 0 ? null : WorstElement.at(worst, expectedShape,
                valueAt(expected.type(), want, worst), valueAt(actual.type(), got, worst));
        return new TensorComparison(expected.name(), expected.type(), actual.type(), expectedShape, actualShape, n,
                maxAbs, maxRel, outside, argmax(expected, actual, expectedShape), worstElement);
    }

    /**
     * Whether a differing element ranks above the worst so far: outside tolerance above within it,
     * then NaN against a number (a NaN difference) above any number, then the larger difference.
     * The first of equals stays, so the worst element is the first of its rank.
     */
    private static boolean worse(boolean outside, double diff, boolean worstOutside, double worstDiff) {
        if (outside != worstOutside) {
            return outside;
        }
        if (Double.isNaN(diff) || Double.isNaN(worstDiff)) {
            return Double.isNaN(diff) && !Double.isNaN(worstDiff);
        }
        return diff > worstDiff;
    }

    private static ArgmaxAgreement argmax(NamedTensor expected, NamedTensor actual, long[] shape) {
        boolean floats = isFloat(expected.type()) && isFloat(actual.type());
        if (!floats || shape.length < 2 || shape[shape.length - 1] < 2) {
            return null;
        }
        int columns = (int) shape[shape.length - 1];
        int rows = Array.getLength(expected.data()) / columns;
        long agree = 0;
        for (int r = 0; r < rows; r++) {
            if (argMax(expected, r * columns, columns) == argMax(actual, r * columns, columns)) {
                agree++;
            }
        }
        return new ArgmaxAgreement(rows, agree);
    }

    private static boolean isFloat(ElementType type) {
        return type == ElementType.FP32 || type == ElementType.FP64 || type == ElementType.FP16;
    }

    /** The first index of the largest value in a row; NaN counts as largest, as in NumPy. */
    private static int argMax(NamedTensor tensor, int from, int count) {
        int best = 0;
        double bestValue = valueAt(tensor.type(), tensor.data(), from);
        for (int i = 1; i < count && !Double.isNaN(bestValue); i++) {
            double v = valueAt(tensor.type(), tensor.data(), from + i);
            if (v > bestValue || Double.isNaN(v)) {
                best = i;
                bestValue = v;
            }
        }
        return best;
    }

    private static double valueAt(ElementType type, Object data, int i) {
        return switch (type) {
            case FP32 -> ((float[]) data)[i];
            case FP64 -> ((double[]) data)[i];
            case FP16 -> Float16.toFloat(((short[]) data)[i]);
            case INT8 -> ((byte[]) data)[i];
            case UINT8 -> Byte.toUnsignedInt(((byte[]) data)[i]);
            case INT16 -> ((short[]) data)[i];
            case INT32 -> ((int[]) data)[i];
            case INT64 -> ((long[]) data)[i];
            case BOOL -> ((boolean[]) data)[i] ? 1 : 0;
        };
    }

    @Override
    public long[] expectedShape() {
        return expectedShape.clone();
    }

    @Override
    public long[] actualShape() {
        return actualShape == null ? null : actualShape.clone();
    }
}
