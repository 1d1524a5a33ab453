package dev.dualnet.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import org.junit.jupiter.api.Test;

class TensorComparisonTest {
    private static final Tolerance TOLERANCE = new Tolerance(1e-3, 1e-2);

    @Test
    void anElementFailsOnlyWhenBeyondBothTolerances() {
        float[] expected = {0f, 1f, 100f, 0.5f};
        // 0 + 5e-4 (within atol), 1 + 5e-3 (within rtol), 100 + 0.5 (within rtol: 1 % of 100), 0.5 + 0.01 (beyond both)
        float[] actual = {5e-4f, 1.005f, 100.5f, 0.51f};
        TensorComparison c = TensorComparison.of(fp32("y", expected, 2, 2), fp32("y", actual, 2, 2), TOLERANCE);
        assertThat(c.outsideTolerance()).isEqualTo(1);
        assertThat(c.elements()).isEqualTo(4);
        assertThat(c.passed()).isFalse();
        assertThat(c.maxAbsError()).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(c.maxRelError()).isCloseTo(0.02, org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void argmaxIsReportedBesideTheVerdictAndDoesNotDecideIt() {
        // A near tie: every value within tolerance, yet the two engines pick different classes.
        float[] expected = {0.5000f, 0.4999f, 0.1f, 0.9f};
        float[] actual = {0.4999f, 0.5000f, 0.1f, 0.9f};
        TensorComparison c = TensorComparison.of(fp32("p", expected, 2, 2), fp32("p", actual, 2, 2), TOLERANCE);
        assertThat(c.passed()).isTrue();
        assertThat(c.argmax()).isEqualTo(new ArgmaxAgreement(2, 1));
        assertThat(c.argmax().complete()).isFalse();
        assertThat(c.argmax().share()).isEqualTo(0.5);
    }

    @Test
    void integerAndBooleanOutputsCompareExactlyUnderSmallTolerances() {
        NamedTensor ids = new NamedTensor("ids", ElementType.INT64, new long[] {3}, new long[] {4, 5, 6});
        NamedTensor off = new NamedTensor("ids", ElementType.INT64, new long[] {3}, new long[] {4, 5, 7});
        assertThat(TensorComparison.of(ids, ids, Tolerance.DEFAULTS).passed()).isTrue();
        TensorComparison wrong = TensorComparison.of(ids, off, Tolerance.DEFAULTS);
        assertThat(wrong.passed()).isFalse();
        assertThat(wrong.outsideTolerance()).isEqualTo(1);
        assertThat(wrong.argmax()).as("no argmax for integer outputs").isNull();

        NamedTensor mask = new NamedTensor("m", ElementType.BOOL, new long[] {2, 2}, new boolean[] {true, false, false, true});
        NamedTensor flipped = new NamedTensor("m", ElementType.BOOL, new long[] {2, 2}, new boolean[] {true, true, false, true});
        assertThat(TensorComparison.of(mask, mask, Tolerance.DEFAULTS).passed()).isTrue();
        assertThat(TensorComparison.of(mask, flipped, Tolerance.DEFAULTS).outsideTolerance()).isEqualTo(1);

        NamedTensor bytes = new NamedTensor("b", ElementType.UINT8, new long[] {2}, new byte[] {(byte) 200, 3});
        assertThat(TensorComparison.of(bytes, bytes, Tolerance.DEFAULTS).passed()).isTrue();
    }

    @Test
    void aDifferentShapeDtypeOrAMissingOutputFails() {
        NamedTensor expected = fp32("y", new float[] {1, 2, 3, 4}, 2, 2);
        TensorComparison reshaped = TensorComparison.of(expected, fp32("y", new float[] {1, 2, 3, 4}, 4, 1), TOLERANCE);
        assertThat(reshaped.shapeMatches()).isFalse();
        assertThat(reshaped.passed()).isFalse();

        NamedTensor doubles = new NamedTensor("y", ElementType.FP64, new long[] {2, 2}, new double[] {1, 2, 3, 4});
        TensorComparison widened = TensorComparison.of(expected, doubles, TOLERANCE);
        assertThat(widened.outsideTolerance()).as("the values agree").isZero();
        assertThat(widened.dtypeMatches()).isFalse();
        assertThat(widened.passed()).isFalse();

        TensorComparison missing = TensorComparison.missing(expected);
        assertThat(missing.present()).isFalse();
        assertThat(missing.passed()).isFalse();
    }

    @Test
    void nanMatchesOnlyNanAndInfinitiesMatchThemselves() {
        NamedTensor expected = fp32("y", new float[] {Float.NaN, Float.POSITIVE_INFINITY}, 1, 2);
        assertThat(TensorComparison.of(expected, expected, Tolerance.DEFAULTS).passed()).isTrue();
        TensorComparison numberForNan = TensorComparison.of(expected,
                fp32("y", new float[] {0f, Float.POSITIVE_INFINITY}, 1, 2), Tolerance.DEFAULTS);
        assertThat(numberForNan.passed()).isFalse();
        assertThat(numberForNan.maxAbsError()).isNaN();
    }

    @Test
    void theWorstElementIsTheLargestMismatchOutsideTolerance() {
        float[] expected = new float[4 * 10];
        float[] actual = new float[4 * 10];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = 1000 + i;
            actual[i] = 1000 + i;
        }
        // [1, 2]: 5 off 1012, within rtol 1e-2; [3, 7]: 0.0015 off 0.123457, beyond both tolerances.
        actual[12] += 5;
        expected[37] = 0.123457f;
        actual[37] = 0.124957f;
        TensorComparison c = TensorComparison.of(fp32("y", expected, 4, 10), fp32("y", actual, 4, 10), TOLERANCE);

        assertThat(c.outsideTolerance()).isEqualTo(1);
        assertThat(c.maxAbsError()).isEqualTo(5.0);
        assertThat(c.worst().index()).isEqualTo(37);
        assertThat(c.worst().coordinates()).containsExactly(3, 7);
        assertThat(c.worst().expected()).isEqualTo(0.123457f);
        assertThat(c.worst().actual()).isEqualTo(0.124957f);

        // Within tolerance everywhere, the largest difference is the worst.
        actual[37] = expected[37];
        TensorComparison passing = TensorComparison.of(fp32("y", expected, 4, 10), fp32("y", actual, 4, 10), TOLERANCE);
        assertThat(passing.passed()).isTrue();
        assertThat(passing.worst()).isEqualTo(new WorstElement(12, new long[] {1, 2}, 1012, 1017));

        TensorComparison equal = TensorComparison.of(fp32("y", expected, 4, 10), fp32("y", expected, 4, 10), TOLERANCE);
        assertThat(equal.worst()).as("no worst when all are equal").isNull();
        assertThat(TensorComparison.missing(fp32("y", expected, 4, 10)).worst()).isNull();
    }

    @Test
    void nanAgainstANumberIsWorseThanAnyNumberAndTheFirstOfEqualsIsNamed() {
        NamedTensor expected = new NamedTensor("y", ElementType.FP64, new long[] {2, 2, 2},
                new double[] {0, 1, 2, 3, 4, 5, 6, 7});
        NamedTensor actual = new NamedTensor("y", ElementType.FP64, new long[] {2, 2, 2},
                new double[] {0, 101, 2, 3, 4, Double.NaN, 6, 107});
        TensorComparison c = TensorComparison.of(expected, actual, TOLERANCE);
        assertThat(c.worst().index()).isEqualTo(5);
        assertThat(c.worst().coordinates()).containsExactly(1, 0, 1);
        assertThat(c.worst().actual()).isNaN();

        NamedTensor ties = new NamedTensor("y", ElementType.FP64, new long[] {2, 2, 2},
                new double[] {0, 101, 2, 3, 4, 5, 6, 107});
        assertThat(TensorComparison.of(expected, ties, TOLERANCE).worst().index()).as("first of two 100s").isEqualTo(1);

        NamedTensor ids = new NamedTensor("ids", ElementType.INT64, new long[] {3}, new long[] {4, 5, 6});
        NamedTensor off = new NamedTensor("ids", ElementType.INT64, new long[] {3}, new long[] {4, 5, 9});
        assertThat(TensorComparison.of(ids, off, Tolerance.DEFAULTS).worst())
                .isEqualTo(new WorstElement(2, new long[] {2}, 6, 9));
        NamedTensor scalar = new NamedTensor("s", ElementType.FP32, new long[0], new float[] {1});
        NamedTensor other = new NamedTensor("s", ElementType.FP32, new long[0], new float[] {2});
        assertThat(TensorComparison.of(scalar, other, TOLERANCE).worst().coordinates()).isEmpty();
    }

    @Test
    void negativeOrNanTolerancesAreRefused() {
        assertThatThrownBy(() -> new Tolerance(-1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tolerances must be >= 0");
        assertThatThrownBy(() -> new Tolerance(0, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Tolerance.DEFAULTS.override(null, 0.5)).isEqualTo(new Tolerance(Tolerance.DEFAULT, 0.5));
    }

    private static NamedTensor fp32(String name, float[] values, long rows, long columns) {
        return new NamedTensor(name, ElementType.FP32, new long[] {rows, columns}, values);
    }
}
