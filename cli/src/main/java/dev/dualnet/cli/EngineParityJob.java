package dev.dualnet.cli;

import dev.dualnet.showcase.parity.EngineParity;
import dev.dualnet.parity.ParityReport;
import dev.dualnet.parity.Tolerance;
import dev.dualnet.runtime.RuntimeOptions;
import java.nio.file.Path;

/** The work of {@code dualnet parity --checkpoint}: the training engine against ONNX Runtime on MNIST's test set. */
final class EngineParityJob {
    private EngineParityJob() {}

    static ParityReport run(Path checkpoint, Path model, DataOptions data, int limit, Tolerance tolerance,
            RuntimeOptions options) {
        return EngineParity.check(checkpoint, model, () -> MnistSources.of(data).loadTest(), limit, tolerance, options);
    }
}
