package dev.dualnet.cli;

import dev.dualnet.packager.EngineComparison;
import dev.dualnet.packager.EntryExport;
import dev.dualnet.parity.ParityReport;
import dev.dualnet.parity.Tolerance;
import dev.dualnet.runtime.RuntimeOptions;
import java.io.IOException;
import java.nio.file.Path;

/** The work of {@code dualnet parity --djl-model}: DJL and ONNX Runtime on fresh inputs. */
final class DjlParityJob {
    private DjlParityJob() {}

    static ParityReport run(Path djlModel, String classpath, Path model, int samples, Tolerance tolerance,
            RuntimeOptions options) throws IOException {
        // Other inputs than the bundle's, which was written from the same model.
        return EngineComparison.compare(djlModel, Jars.parse(classpath), model, samples, EntryExport.SEED + 1, tolerance, options);
    }
}
