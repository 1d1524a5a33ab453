package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dualnet.common.Json;
import dev.dualnet.showcase.testing.TinyRuns;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job end to end on a small training subset: train, export, full parity, summary. */
class PipelineCommandTest {
    @TempDir
    Path dir;

    @Test
    void trainsExportsChecksParityAndSummarises() throws Exception {
        TinyRuns.data();
        Path run = dir.resolve("run");
        Path entry = dir.resolve("models").resolve("quick");
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int exit;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            exit = Dualnet.commandLine().execute("pipeline", "--preset", "seed", "--epochs", "1",
                    "--train-limit", "3000", "--threads", "2", "--run-dir", run.toString(), "--out", entry.toString(),
                    "--report-dir", dir.resolve("parity").toString());
        } finally {
            System.setOut(original);
        }
        String summary = captured.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(summary).isZero();
        assertThat(summary).contains("dualnet pipeline summary", "test digit accuracy", "parity digit",
                "pass, max abs error", "argmax 10000/10000", "stage train", "stage parity");
        assertThat(entry.resolve("1").resolve("model.onnx")).isRegularFile();
        assertThat(entry.resolve("1").resolve("parity").resolve("manifest.json")).isRegularFile();
        assertThat(entry.resolve("accuracy.png")).isRegularFile();
        assertThat(entry.resolve("config.pbtxt")).content().contains("name: \"quick\"");
        JsonNode card = Json.mapper().readTree(entry.resolve("model_card.json").toFile());
        assertThat(card.get("command").asText()).startsWith("dualnet pipeline --preset seed --epochs 1");
        assertThat(card.get("training").get("seed").asLong()).isEqualTo(42);
        assertThat(dir.resolve("parity").resolve("TEST-dualnet-parity.xml")).isRegularFile();
    }
}
