package dev.dualnet.packager;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.types.Shape;
import dev.dualnet.exporter.TensorSpec;
import dev.dualnet.packager.testing.SavedModels;
import dev.dualnet.parity.ParityReport;
import dev.dualnet.parity.Tolerance;
import dev.dualnet.runtime.RuntimeOptions;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DJL and ONNX Runtime agree on fresh inputs, and stop agreeing when the parameters change. */
class EngineComparisonTest {
    @TempDir
    Path dir;

    @Test
    void anExportedEntryMatchesItsModelAndNotAnEditedOne() throws Exception {
        Path model = SavedModels.lstm(dir);
        Path entry = dir.resolve("repo/lstm");
        EntryExport.Result result = EntryExport.export(new EntryExport.Request(model, List.of(),
                List.of(TensorSpec.parse("x:float32:N,5,4")), List.of(), null, 17, 1, 8, entry, null, 4,
                Tolerance.DEFAULTS, "test"));
        assertThat(result.written()).isTrue();

        ParityReport same = EngineComparison.compare(model, List.of(), entry, 6, 99, Tolerance.DEFAULTS,
                RuntimeOptions.defaults());
        assertThat(same.passed()).isTrue();
        assertThat(same.samples()).isEqualTo(6);

        SavedModels.editWeight(model, "02Linear_weight", 0.5f, new Shape(1, 5, 4));
        ParityReport edited = EngineComparison.compare(model, List.of(), entry, 6, 99, Tolerance.DEFAULTS,
                RuntimeOptions.defaults());
        assertThat(edited.passed()).isFalse();
        assertThat(edited.outputs().get(0).worst()).isNotNull();
    }
}
