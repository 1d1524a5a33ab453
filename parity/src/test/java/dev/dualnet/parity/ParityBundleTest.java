package dev.dualnet.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParityBundleTest {
    @TempDir
    Path dir;

    @Test
    void everyElementTypeSurvivesAWriteAndARead() throws IOException {
        Map<String, NamedTensor> inputs = new LinkedHashMap<>();
        inputs.put("f64", new NamedTensor("f64", ElementType.FP64, new long[] {2}, new double[] {1.5, -2.25}));
        inputs.put("i8", new NamedTensor("i8", ElementType.INT8, new long[] {2}, new byte[] {-3, 7}));
        inputs.put("u8", new NamedTensor("u8", ElementType.UINT8, new long[] {2}, new byte[] {(byte) 255, 0}));
        inputs.put("i16", new NamedTensor("i16", ElementType.INT16, new long[] {2}, new short[] {-300, 300}));
        inputs.put("i32", new NamedTensor("i32", ElementType.INT32, new long[] {2, 1}, new int[] {1 << 20, -1}));
        inputs.put("input:0", new NamedTensor("input:0", ElementType.INT64, new long[] {2}, new long[] {Long.MAX_VALUE, 0}));
        Map<String, NamedTensor> outputs = new LinkedHashMap<>();
        outputs.put("p", new NamedTensor("p", ElementType.FP32, new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        outputs.put("mask", new NamedTensor("mask", ElementType.BOOL, new long[] {2}, new boolean[] {true, false}));
        ParityBundle written = new ParityBundle(null, inputs, outputs, new Tolerance(1e-4, 1e-3));

        Path bundleDir = dir.resolve("parity");
        BundleWriter.write(bundleDir, written, "Test tensors.", Map.of("engine", "none"));
        ParityBundle read = ParityBundle.read(bundleDir);

        assertThat(read.count()).isEqualTo(2);
        assertThat(read.tolerance()).isEqualTo(new Tolerance(1e-4, 1e-3));
        assertThat(read.inputs().keySet()).containsExactlyElementsOf(inputs.keySet());
        assertThat(read.outputs().keySet()).containsExactly("p", "mask");
        for (Map<String, NamedTensor>[] sides : pairs(written, read)) {
            for (String name : sides[0].keySet()) {
                NamedTensor before = sides[0].get(name);
                NamedTensor after = sides[1].get(name);
                assertThat(after.type()).as(name).isEqualTo(before.type());
                assertThat(after.shape()).as(name).isEqualTo(before.shape());
                assertThat(after.data()).as(name).isEqualTo(before.data());
            }
        }
        assertThat(bundleDir.resolve("tensor.i64")).as("a name that is no file name gets a safe one").isRegularFile();
        try (var staging = Files.list(dir)) {
            assertThat(staging.map(p -> p.getFileName().toString())).containsExactly("parity");
        }
    }

    @Test
    void tensorsMustAgreeOnTheSampleCount() {
        Map<String, NamedTensor> inputs = Map.of("x", new NamedTensor("x", ElementType.FP32, new long[] {3}, new float[3]));
        Map<String, NamedTensor> outputs = Map.of("y", new NamedTensor("y", ElementType.FP32, new long[] {2}, new float[2]));
        assertThatThrownBy(() -> new ParityBundle(null, inputs, outputs, Tolerance.DEFAULTS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has 2 samples, the others 3");
    }

    @Test
    void anUnbatchedBundleKeepsWholeTensorsAndSaysSoInItsManifest() throws IOException {
        Map<String, NamedTensor> inputs = Map.of("x", new NamedTensor("x", ElementType.FP32, new long[] {3, 2},
                new float[] {1, 2, 3, 4, 5, 6}));
        Map<String, NamedTensor> outputs = Map.of("mean", new NamedTensor("mean", ElementType.FP32, new long[] {2},
                new float[] {3, 4}), "scale", new NamedTensor("scale", ElementType.FP32, new long[] {}, new float[] {7}));
        Path unbatched = dir.resolve("unbatched");
        BundleWriter.write(unbatched, new ParityBundle(null, inputs, outputs, Tolerance.DEFAULTS, false), "Test.",
                Map.of());
        ParityBundle read = ParityBundle.read(unbatched);

        assertThat(read.batched()).isFalse();
        assertThat(read.count()).isEqualTo(1);
        assertThat(read.outputs().get("scale").shape()).isEmpty();
        assertThat(Files.readString(unbatched.resolve(ParityBundle.MANIFEST))).contains("\"batched\" : false");

        Path batched = dir.resolve("batched");
        BundleWriter.write(batched, new ParityBundle(null, inputs, Map.of("y", new NamedTensor("y", ElementType.FP32,
                new long[] {3}, new float[3])), Tolerance.DEFAULTS), "Test.", Map.of());
        assertThat(Files.readString(batched.resolve(ParityBundle.MANIFEST))).doesNotContain("batched");
        assertThat(ParityBundle.read(batched).batched()).isTrue();
    }

    @Test
    void aFileOfTheWrongSizeOrAnUnknownDtypeNamesTheFile() throws IOException {
        Path bundleDir = dir.resolve("bad");
        Map<String, NamedTensor> inputs = Map.of("x", new NamedTensor("x", ElementType.FP32, new long[] {2}, new float[2]));
        Map<String, NamedTensor> outputs = Map.of("y", new NamedTensor("y", ElementType.INT32, new long[] {2}, new int[2]));
        BundleWriter.write(bundleDir, new ParityBundle(null, inputs, outputs, Tolerance.DEFAULTS), "x", Map.of());
        Files.write(bundleDir.resolve("y.i32"), new byte[5]);
        assertThatThrownBy(() -> ParityBundle.read(bundleDir)).isInstanceOf(IOException.class)
                .hasMessageContaining("y.i32: 5 bytes, expected 8 for int32 [2]");

        Path manifest = bundleDir.resolve(ParityBundle.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).replace("\"int32\"", "\"complex64\""));
        assertThatThrownBy(() -> ParityBundle.read(bundleDir)).isInstanceOf(IOException.class)
                .hasMessageContaining("dtype 'complex64', expected one of float32");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, NamedTensor>[][] pairs(ParityBundle a, ParityBundle b) {
        return new Map[][] {{a.inputs(), b.inputs()}, {a.outputs(), b.outputs()}};
    }
}
