package dev.dualnet.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.runtime.testing.Fixtures;
import dev.dualnet.runtime.testing.HalfModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ONNX Runtime takes and returns float16 tensors as their binary16 bits. */
class HalfPrecisionModelTest {
    @TempDir
    Path dir;

    @Test
    void theModelsFloat16TensorsAreFp16() throws Exception {
        try (OnnxModel model = OnnxModel.load(HalfModel.writeEntry(dir, "half", null), Fixtures.options())) {
            assertThat(model.inputs().values()).containsExactly(
                    new TensorSpec(HalfModel.INPUT, ElementType.FP16, new long[] {-1, 4}));
            assertThat(model.outputs().values()).containsExactly(
                    new TensorSpec(HalfModel.WIDE, ElementType.FP32, new long[] {-1, 4}),
                    new TensorSpec(HalfModel.TRIPLED, ElementType.FP16, new long[] {-1, 4}));
        }
    }

    /** Every one of the 65,536 binary16 values, in and out: ONNX Runtime's conversions agree with Float16's. */
    @Test
    void everyHalfValueGoesInAndComesOutAsOnnxRuntimeComputesIt() throws Exception {
        short[] all = new short[1 << 16];
        for (int h = 0; h < all.length; h++) {
            all[h] = (short) h;
        }
        Map<String, NamedTensor> out;
        try (OnnxModel model = OnnxModel.load(HalfModel.writeEntry(dir, "half", null), Fixtures.options())) {
            out = model.run(List.of(new NamedTensor(HalfModel.INPUT, ElementType.FP16,
                    new long[] {all.length / 4, 4}, all)), Set.of());
        }
        NamedTensor wide = out.get(HalfModel.WIDE);
        NamedTensor tripled = out.get(HalfModel.TRIPLED);
        assertThat(tripled.type()).isEqualTo(ElementType.FP16);
        assertThat(tripled.shape()).containsExactly(all.length / 4, 4);
        float[] widened = (float[]) wide.data();
        short[] narrowed = (short[]) tripled.data();
        for (int h = 0; h < all.length; h++) {
            float expected = Float16.toFloat(all[h]);
            short expectedTripled = Float16.fromFloat(expected * 3);
            if (Float.isNaN(expected)) {
                assertThat(widened[h]).as("0x%04x", h).isNaN();
                assertThat(Float.isNaN(Float16.toFloat(narrowed[h]))).as("0x%04x tripled", h).isTrue();
            } else {
                assertThat(widened[h]).as("0x%04x", h).isEqualTo(expected);
                assertThat(narrowed[h]).as("0x%04x tripled", h).isEqualTo(expectedTripled);
            }
        }
    }
}
