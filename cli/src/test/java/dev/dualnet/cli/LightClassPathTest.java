package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.cli.testing.LightClassPath;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command tree builds, and the commands that never touch the training engine run, on a class
 * path without DJL, libtorch, the trainer, the exporter or the packager: the launcher's light class
 * path.
 */
class LightClassPathTest {
    @TempDir
    Path dir;

    @Test
    void bundleParityServeAndPredictHelpRunWithoutTheTrainingEngine() throws Exception {
        try (LightClassPath light = new LightClassPath()) {
            assertThatThrownBy(() -> light.loader().loadClass("ai.djl.ndarray.NDArray"))
                    .isInstanceOf(ClassNotFoundException.class);
            assertThatThrownBy(() -> light.loader().loadClass("dev.dualnet.trainer.train.TrainingRun"))
                    .isInstanceOf(ClassNotFoundException.class);
            assertThatThrownBy(() -> light.loader().loadClass("dev.dualnet.packager.EntryExport"))
                    .isInstanceOf(ClassNotFoundException.class);

            assertThat(light.run("--help")).isZero();
            assertThat(light.run("serve", "--help")).isZero();
            assertThat(light.run("predict", "--help")).isZero();
            Path repository = Path.of(System.getProperty("dualnet.repository", "../models"));
            assertThat(light.run("parity", "--model", repository.resolve("dualnet").toString(),
                    "--report-dir", dir.toString())).isZero();
            assertThat(dir.resolve("parity-report.json")).isRegularFile();
        }
    }
}
