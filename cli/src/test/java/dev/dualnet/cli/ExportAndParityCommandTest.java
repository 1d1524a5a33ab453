package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.cli.testing.CapturedRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportAndParityCommandTest {
    @TempDir
    Path dir;

    private final CapturedRun cli = new CapturedRun();

    @Test
    void helpDescribesExportAndParity() {
        assertThat(cli.run("export", "--help")).isZero();
        assertThat(cli.out()).contains("--checkpoint", "--djl-model", "--input", "--out", "--bundle-size",
                "--version=V");
        assertThat(cli.run("parity", "--help")).isZero();
        assertThat(cli.out()).contains("--model", "--atol", "--rtol", "Exit codes: 0 pass, 1 mismatch, 2 bad input");
    }

    @Test
    void missingCheckpointIsBadInput() {
        Path missing = dir.resolve("no-run");
        assertThat(cli.run("export", "--checkpoint", missing.toString(), "--out", dir.resolve("m").toString(),
                "--data-dir", dir.resolve("cache").toString(), "--npm", dir.resolve("no-npm").toString()))
                .isEqualTo(2);
        assertThat(cli.err()).startsWith("error: ").contains("no checkpoint there").doesNotContain("\tat ");
        assertThat(dir.resolve("m")).doesNotExist();
        assertThat(dir.resolve("cache")).as("MNIST is not fetched for an export that cannot happen").doesNotExist();
    }

    @Test
    void pipelineRefusesAnOccupiedRunDirectoryBeforeFetchingMnist() throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(run.resolve("checkpoint.zip"), "an earlier run");
        assertThat(cli.run("pipeline", "--run-dir", run.toString(), "--out", dir.resolve("m").toString(),
                "--data-dir", dir.resolve("cache").toString(), "--npm", dir.resolve("no-npm").toString()))
                .isEqualTo(2);
        assertThat(cli.err()).startsWith("error: " + run + " already holds a run");
        assertThat(dir.resolve("cache")).doesNotExist();
        assertThat(run.resolve("checkpoint.zip")).hasContent("an earlier run");
    }

    @Test
    void anOutputPathThroughAFileFailsBeforeAnyWork() throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(run.resolve("checkpoint.zip"), "only located, never read");
        Path file = Files.writeString(dir.resolve("notes.txt"), "mine");
        Path out = file.resolve("m");
        assertThat(cli.run("export", "--checkpoint", run.toString(), "--out", out.toString(),
                "--data-dir", dir.resolve("cache").toString(), "--npm", dir.resolve("no-npm").toString()))
                .isEqualTo(2);
        assertThat(cli.err().strip()).isEqualTo("error: --out " + out + ": " + file + " is a file, expected a directory");

        cli.clearErr();
        assertThat(cli.run("pipeline", "--run-dir", dir.resolve("run2").toString(), "--report-dir", file.toString(),
                "--data-dir", dir.resolve("cache").toString(), "--npm", dir.resolve("no-npm").toString()))
                .isEqualTo(2);
        assertThat(cli.err().strip()).isEqualTo("error: --report-dir " + file + ": is a file, expected a directory");
        assertThat(file).hasContent("mine");
        assertThat(dir.resolve("cache")).as("MNIST is not fetched for work that cannot be written").doesNotExist();
        assertThat(dir.resolve("run2")).doesNotExist();
    }

    @Test
    void engineParityWithAMissingCheckpointFailsBeforeMnistIsFetched() {
        assertThat(cli.run("parity", "--model", dir.resolve("m").toString(), "--checkpoint", dir.resolve("no-run").toString(),
                "--data-dir", dir.resolve("cache").toString(), "--npm", dir.resolve("no-npm").toString())).isEqualTo(2);
        assertThat(cli.err()).startsWith("error: ").contains("no checkpoint there");
        assertThat(dir.resolve("cache")).doesNotExist();
    }

    @Test
    void missingModelIsBadInputNamingTheModel() {
        Path missing = dir.resolve("nothing");
        assertThat(cli.run("parity", "--model", missing.toString(), "--report-dir", dir.resolve("r").toString()))
                .isEqualTo(2);
        assertThat(cli.err()).startsWith("error: " + missing + ": ").contains("not found")
                .doesNotContain("parity bundle", "\tat ");
        assertThat(dir.resolve("r")).doesNotExist();
    }

    @Test
    void badOptionsAreBadInput() {
        assertThat(cli.run("parity", "--model", "x", "--device", "tpu")).isEqualTo(2);
        assertThat(cli.err()).contains("--device must be auto, cuda or cpu");
        assertThat(cli.run("parity")).isEqualTo(2);
        assertThat(cli.err()).contains("Missing required option: '--model=PATH'");
    }

    @Test
    void parityOptionsThatWouldBeIgnoredAreRefused() {
        String model = dir.resolve("m").toString();
        assertThat(cli.run("parity", "--model", model, "--checkpoint", "run", "--bundle", "b")).isEqualTo(2);
        assertThat(cli.err().strip()).isEqualTo("error: --checkpoint, --djl-model and --bundle are different"
                + " references to compare with; give one of them");
        cli.clearErr();
        assertThat(cli.run("parity", "--model", model, "--limit", "100")).isEqualTo(2);
        assertThat(cli.err().strip())
                .isEqualTo("error: --limit applies with --checkpoint; a parity bundle is compared whole");
        cli.clearErr();
        assertThat(cli.run("parity", "--model", model, "--checkpoint", "run", "--limit", "-1")).isEqualTo(2);
        assertThat(cli.err().strip()).isEqualTo("error: --limit must be at least 0 (0: all test pairs), got -1");
    }
}
