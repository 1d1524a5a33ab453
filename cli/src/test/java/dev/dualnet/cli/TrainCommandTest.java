package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.cli.testing.CapturedRun;
import dev.dualnet.cli.testing.DualnetProcess;
import dev.dualnet.trainer.testing.IdxFiles;
import dev.dualnet.trainer.testing.RealMnist;
import dev.dualnet.trainer.train.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {
    @TempDir
    Path dir;

    private final CapturedRun cli = new CapturedRun();

    @Test
    void helpListsCommandsAndOptions() {
        assertThat(cli.run("--help")).isZero();
        assertThat(cli.out()).contains("train", "data");
        assertThat(cli.run("train", "--help")).isZero();
        assertThat(cli.out()).contains("--preset", "--resume", "--threads", "--device", "--data-dir");
    }

    @Test
    void unknownPresetIsOneClearLineAndExitTwo() {
        assertThat(cli.run("train", "--preset", "huge", "--train-images", "a", "--train-labels", "b",
                "--test-images", "c", "--test-labels", "d")).isEqualTo(2);
        assertThat(cli.err()).startsWith("error: ").doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void badIdxFileNamesTheFileAndWhatWasExpected() throws Exception {
        Path images = IdxFiles.write(dir.resolve("images"), IdxFiles.labels(10));
        Path labels = IdxFiles.write(dir.resolve("labels"), IdxFiles.labels(10));
        assertThat(cli.run("train", "--train-images", images.toString(), "--train-labels", labels.toString(),
                "--test-images", images.toString(), "--test-labels", labels.toString())).isEqualTo(2);
        assertThat(cli.err().strip())
                .isEqualTo("error: " + images + ": magic number 0x00000801, expected 0x00000803 for an IDX image file");
    }

    @Test
    void engineThatCannotStartIsOneClearLine() throws Exception {
        String unwritable = "/proc/dualnet-djl-cache";
        try (DualnetProcess trainer = DualnetProcess.start(List.of("train", "--preset", "seed", "--epochs", "1",
                "--train-limit", "64", "--test-limit", "64", "--run-dir", dir.resolve("run").toString()), unwritable)) {
            assertThat(trainer.waitFor(120)).as(trainer.log()).isEqualTo(2);
            assertThat(trainer.log()).contains("error: the PyTorch engine could not start: ")
                    .contains("DJL_CACHE_DIR is " + unwritable).doesNotContain("\tat ");
        }
    }

    @Test
    void moreThreadsThanProcessorsTrainWithAWarning() throws Exception {
        RealMnist.data();
        int processors = Runtime.getRuntime().availableProcessors();
        String threads = Integer.toString(processors + 1);
        try (DualnetProcess trainer = DualnetProcess.start(List.of("train", "--preset", "seed", "--epochs", "1",
                "--train-limit", "256", "--test-limit", "64", "--threads", threads,
                "--run-dir", dir.resolve("run").toString()))) {
            assertThat(trainer.waitFor(300)).as(trainer.log()).isZero();
            assertThat(trainer.log()).contains("with " + threads + " thread(s)")
                    .contains("--threads " + threads + " is more than the " + processors + " processor(s) here")
                    .contains("use --threads " + processors + " or fewer");
        }
    }

    @Test
    void missingNpmIsAClearErrorAndLeavesNoCache() {
        Path cache = dir.resolve("cache");
        assertThat(cli.run("data", "--data-dir", cache.toString(), "--npm", dir.resolve("nonexistent").toString()))
                .isEqualTo(2);
        assertThat(cli.err()).startsWith("error: npm not found");
        assertThat(cache).doesNotExist();
    }

    @Test
    void aGpuThatIsNotThereFailsBeforeMnistIsFetched() {
        Path cache = dir.resolve("cache");
        assertThat(cli.run("train", "--device", "gpu:64", "--data-dir", cache.toString(), "--npm",
                dir.resolve("nonexistent").toString())).isEqualTo(2);
        assertThat(cli.err()).startsWith("error: --device gpu:64: the PyTorch engine sees ");
        assertThat(cache).doesNotExist();
    }

    @Test
    void resumingARunThatIsNotThereFailsBeforeMnistIsFetched() {
        Path cache = dir.resolve("cache");
        assertThat(cli.run("train", "--resume", dir.resolve("no-run").toString(), "--data-dir", cache.toString(), "--npm",
                dir.resolve("nonexistent").toString())).isEqualTo(2);
        assertThat(cli.err()).startsWith("error: " + dir.resolve("no-run") + ": no checkpoint there");
        assertThat(cache).doesNotExist();
    }

    @Test
    void aFreshRunRefusesARunDirectoryThatHoldsARun() throws Exception {
        Path run = Files.createDirectory(dir.resolve("run"));
        Path checkpoint = Files.write(run.resolve("checkpoint.zip"), new byte[] {7, 7, 7});
        Path cache = dir.resolve("cache");
        assertThat(cli.run("train", "--run-dir", run.toString(), "--data-dir", cache.toString(), "--npm",
                dir.resolve("nonexistent").toString())).isEqualTo(2);
        assertThat(cli.err().strip()).isEqualTo("error: " + run + " already holds a run (checkpoint.zip); "
                + "continue it with --resume " + run + ", or pass another --run-dir");
        assertThat(checkpoint).hasBinaryContent(new byte[] {7, 7, 7});
        assertThat(cache).doesNotExist();
    }

    @Test
    void aResumeKeepsTheRunsSettingsAndRefusesOthers() throws Exception {
        Path runDir = dir.resolve("run");
        assertThat(cli.run("train", "--preset", "seed", "--epochs", "1", "--train-limit", "128", "--test-limit", "64",
                "--threads", "1", "--run-dir", runDir.toString())).as(cli.err()).isZero();
        Path checkpoint = runDir.resolve("checkpoint.zip");
        byte[] trained = Files.readAllBytes(checkpoint);

        assertThat(cli.run("train", "--resume", runDir.toString(), "--epochs", "3", "--lr", "0.1", "--preset", "seed"))
                .isEqualTo(2);
        assertThat(cli.err().strip()).isEqualTo("error: --resume " + runDir + " goes on with the settings saved "
                + "in the run, but --epochs 3 (the run has 1), --lr 0.1 (the run has 0.001) differ; drop them, or "
                + "train a new run with another --run-dir");
        assertThat(checkpoint).hasBinaryContent(trained);

        Path copy = Files.copy(checkpoint, dir.resolve("best.zip"));
        cli.clearErr();
        assertThat(cli.run("train", "--resume", copy.toString())).isEqualTo(2);
        assertThat(cli.err().strip()).isEqualTo("error: --resume " + copy + ": expected a run directory (or "
                + "its checkpoint.zip), where the resumed run goes on writing; this is another file");

        // Its own checkpoint file names the run too, and repeating a saved setting is no change.
        cli.clearErr();
        assertThat(cli.run("train", "--resume", checkpoint.toString(), "--epochs", "1", "--threads", "1"))
                .as(cli.err()).isZero();
        assertThat(Checkpoint.read(runDir).state().epoch()).isEqualTo(1);
    }

    @Test
    void invalidOptionValueIsRejected() {
        assertThat(cli.run("train", "--epochs", "zero")).isEqualTo(2);
        assertThat(cli.err().strip().lines()).containsExactly(
                "error: Invalid value for option '--epochs': 'zero' is not an int",
                "Run 'dualnet train --help' for its options.");
    }
}
