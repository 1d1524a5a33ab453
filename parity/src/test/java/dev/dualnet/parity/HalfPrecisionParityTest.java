package dev.dualnet.parity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.Float16;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.testing.Fixtures;
import dev.dualnet.runtime.testing.HalfModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model that takes and returns float16 is checked against its bundle like any other. */
class HalfPrecisionParityTest {
    private static final float[] VALUES = {0.1f, -2.5f, 1000f, 6e-8f, 0f, -0f, 21844f, 0.333f};

    @TempDir
    Path dir;

    @Test
    void aFloat16BundleSurvivesAWriteAndARead() throws Exception {
        ParityBundle written = bundle(VALUES);
        Path bundleDir = dir.resolve("parity");
        BundleWriter.write(bundleDir, written, "Half tensors.", Map.of());

        ParityBundle read = ParityBundle.read(bundleDir);

        NamedTensor x = read.inputs().get(HalfModel.INPUT);
        assertThat(x.type()).isEqualTo(ElementType.FP16);
        assertThat((short[]) x.data()).containsExactly((short[]) written.inputs().get(HalfModel.INPUT).data());
        assertThat(Files.size(bundleDir.resolve("x.f16"))).isEqualTo(2L * VALUES.length);
        assertThat(Files.readString(bundleDir.resolve(ParityBundle.MANIFEST))).contains("\"dtype\" : \"float16\"");
        assertThat(read.outputs().get(HalfModel.TRIPLED).data()).isEqualTo(written.outputs().get(HalfModel.TRIPLED).data());
    }

    @Test
    void onnxRuntimePassesItsFloat16BundleAndFailsAWrongOne() throws Exception {
        Path entry = HalfModel.writeEntry(dir, "half", null);
        BundleWriter.write(ParityBundle.locate(entry), bundle(VALUES), "Half tensors.", Map.of());

        ParityReport report = ParityCheck.againstBundle(entry, null, null, null, Fixtures.options());

        assertThat(report.passed()).as(report.toString()).isTrue();
        TensorComparison tripled = report.outputs().get(1);
        assertThat(tripled.name()).isEqualTo(HalfModel.TRIPLED);
        assertThat(tripled.dtypeMatches()).isTrue();
        assertThat(tripled.argmax()).as("float16 outputs get the argmax check").isEqualTo(new ArgmaxAgreement(2, 2));
        assertThat(ReportWriter.describe(tripled, report.tolerance())).contains("PASS; dtype float16");

        // The bundle one binary16 step off in one element (1000 * 3 = 3000, whose neighbour is 3002).
        ParityBundle off = bundle(VALUES);
        ((short[]) off.outputs().get(HalfModel.TRIPLED).data())[2]++;
        BundleWriter.write(ParityBundle.locate(entry), off, "Half tensors, one wrong.", Map.of());

        ParityReport failed = ParityCheck.againstBundle(entry, null, null, null, Fixtures.options());

        assertThat(failed.passed()).isFalse();
        TensorComparison wrong = failed.outputs().get(1);
        assertThat(wrong.outsideTolerance()).isEqualTo(1);
        assertThat(wrong.maxAbsError()).as("compared as the values the bits stand for").isEqualTo(2.0);
        assertThat(ReportWriter.describe(wrong, failed.tolerance())).contains("worst at [0, 2]: expected 3002, got 3000");
    }

    @Test
    void float16ValuesCompareAsTheirFloatValues() {
        NamedTensor expected = half("y", 1f, 2f, 3f, 4f);
        // 1.0009766 is the binary16 after 1: 9.8e-4 away, within atol 1e-3 though its bits differ by one.
        NamedTensor close = half("y", 1.0009766f, 2f, 3f, 4f);
        NamedTensor far = half("y", 1f, 2f, 3.5f, 4f);
        Tolerance tolerance = new Tolerance(1e-3, 0);

        assertThat(TensorComparison.of(expected, close, tolerance).passed()).isTrue();
        TensorComparison c = TensorComparison.of(expected, far, tolerance);
        assertThat(c.passed()).isFalse();
        assertThat(c.maxAbsError()).isEqualTo(0.5);
        assertThat(c.maxRelError()).isEqualTo(0.5 / 3);
        assertThat(c.argmax()).isEqualTo(new ArgmaxAgreement(2, 2));
        NamedTensor asFloats = new NamedTensor("y", ElementType.FP32, new long[] {2, 2}, new float[] {1, 2, 3, 4});
        TensorComparison widened = TensorComparison.of(expected, asFloats, tolerance);
        assertThat(widened.outsideTolerance()).as("the values agree").isZero();
        assertThat(widened.dtypeMatches()).isFalse();
    }

    /** Two rows of four: the inputs and what the half model computes for them, through Float16. */
    private static ParityBundle bundle(float[] values) {
        short[] x = new short[values.length];
        float[] wide = new float[values.length];
        short[] tripled = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            x[i] = Float16.fromFloat(values[i]);
            wide[i] = Float16.toFloat(x[i]);
            tripled[i] = Float16.fromFloat(wide[i] * 3);
        }
        long[] shape = {values.length / 4, 4};
        Map<String, NamedTensor> outputs = new java.util.LinkedHashMap<>();
        outputs.put(HalfModel.WIDE, new NamedTensor(HalfModel.WIDE, ElementType.FP32, shape, wide));
        outputs.put(HalfModel.TRIPLED, new NamedTensor(HalfModel.TRIPLED, ElementType.FP16, shape, tripled));
        return new ParityBundle(null, Map.of(HalfModel.INPUT,
                new NamedTensor(HalfModel.INPUT, ElementType.FP16, shape, x)), outputs, Tolerance.DEFAULTS);
    }

    private static NamedTensor half(String name, float... values) {
        short[] bits = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float16.fromFloat(values[i]);
        }
        return new NamedTensor(name, ElementType.FP16, new long[] {values.length / 2, 2}, bits);
    }
}
