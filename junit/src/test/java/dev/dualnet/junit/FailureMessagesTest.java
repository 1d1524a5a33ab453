package dev.dualnet.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.parity.TensorComparison;
import dev.dualnet.parity.Tolerance;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Failure lines read as a person expects, for every way an output can differ. */
class FailureMessagesTest {
    private static final Tolerance ATOL = new Tolerance(1e-5, 0);

    private static NamedTensor floats(long[] shape, float... values) {
        return new NamedTensor("y", ElementType.FP32, shape, values);
    }

    @Test
    void namesTheWorstElementWithBothValuesAndTheCount() {
        TensorComparison c = TensorComparison.of(floats(new long[] {2, 2}, 0.812345f, 1f, 2f, 3f),
                floats(new long[] {2, 2}, 0.8125f, 1f, 2.000001f, 3f), ATOL);

        assertThat(FailureMessages.differs("MyBlock", List.of(c), ATOL)).isEqualTo("ONNX export of MyBlock differs"
                + " from DJL: output \"y\" [2,2] at [0, 0]: DJL 0.812345, ONNX Runtime 0.8125 (|diff| 1.55e-04 >"
                + " atol 1e-05); 1 of 4 elements outside tolerance");
    }

    @Test
    void saysWhenOneSideIsNaN() {
        TensorComparison c = TensorComparison.of(floats(new long[] {3}, 1f, 2f, 3f),
                floats(new long[] {3}, 1f, Float.NaN, 3.5f), ATOL);

        assertThat(FailureMessages.describe(c, ATOL)).isEqualTo("output \"y\" [3] at [1]: DJL 2, ONNX Runtime NaN"
                + " (NaN against a number); 2 of 3 elements outside tolerance");
    }

    @Test
    void namesTheLargestDifferenceWhenARelativeToleranceLetsItPass() {
        Tolerance tolerance = new Tolerance(1e-5, 1e-3);
        TensorComparison c = TensorComparison.of(floats(new long[] {2}, 1000f, 0.5f),
                floats(new long[] {2}, 1000.5f, 0.502f), tolerance);

        assertThat(FailureMessages.describe(c, tolerance)).isEqualTo("output \"y\" [2] at [1]: DJL 0.5, ONNX Runtime"
                + " 0.502 (|diff| 0.002 > atol 1e-05 and > rtol 0.001 × |DJL|); 1 of 2 elements outside tolerance,"
                + " largest |diff| 0.5");
    }

    @Test
    void namesShapeAndTypeMismatchesAndMissingOutputs() {
        NamedTensor expected = floats(new long[] {4, 10}, new float[40]);
        TensorComparison shape = TensorComparison.of(expected, floats(new long[] {4, 9}, new float[36]), ATOL);
        TensorComparison type = TensorComparison.of(expected,
                new NamedTensor("y", ElementType.FP64, new long[] {4, 10}, new double[40]), ATOL);

        assertThat(FailureMessages.describe(shape, ATOL)).isEqualTo("output \"y\" [4,10]: ONNX Runtime gives shape [4,9]");
        assertThat(FailureMessages.describe(type, ATOL))
                .isEqualTo("output \"y\" [4,10]: ONNX Runtime gives float64 where DJL gives float32");
        assertThat(FailureMessages.describe(TensorComparison.missing(expected), ATOL))
                .isEqualTo("output \"y\" [4,10]: the ONNX model has no such output");
    }

    @Test
    void formatsNumbersShortly() {
        assertThat(FailureMessages.number(1.55e-4)).isEqualTo("1.55e-04");
        assertThat(FailureMessages.number(1e-5)).isEqualTo("1e-05");
        assertThat(FailureMessages.number(0.0621)).isEqualTo("0.0621");
        assertThat(FailureMessages.number(3)).isEqualTo("3");
        assertThat(FailureMessages.number(0)).isEqualTo("0");
        assertThat(FailureMessages.value(7, ElementType.INT64)).isEqualTo("7");
        assertThat(FailureMessages.value(1, ElementType.BOOL)).isEqualTo("true");
        assertThat(FailureMessages.value(78.0, ElementType.FP32)).isEqualTo("78");
    }
}
