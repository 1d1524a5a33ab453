package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.LogCapture;
import dev.dualnet.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model.onnx that no longer matches the SHA-256 its model card recorded is refused, parity
 * bundle or not, while the other models serve; a model without a card loads with one warning.
 */
class ModelIntegrityTest {
    @TempDir
    Path dir;

    @Test
    void oneFlippedByteMakesTheModelNotReadyAndTheOthersServe() throws Exception {
        Path repo = TestServer.repository(dir);
        Path model = repo.resolve("seed/1/model.onnx");
        byte[] bytes = Files.readAllBytes(model);
        bytes[bytes.length - 100] ^= 0x01; // inside the weights: still a loadable model, with other answers
        Files.write(model, bytes);
        // Without its parity bundle only the digest can tell.
        try (var files = Files.walk(repo.resolve("seed/1/parity"))) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        try (LogCapture log = new LogCapture(); TestServer server = TestServer.start(repo, true, 200)) {
            HttpResponse<String> ready = server.get("/v2/models/seed/ready");
            assertThat(ready.statusCode()).isEqualTo(400);
            assertThat(TestServer.json(ready).get("error").asText()).contains("not ready",
                    "1/model.onnx does not match the SHA-256 recorded in model_card.json", "changed after export")
                    .doesNotContain(dir.toString());
            assertThat(server.post("/v2/models/seed/infer", "{}").statusCode()).isEqualTo(503);
            assertThat(log.events().stream().map(e -> e.getFormattedMessage()))
                    .anyMatch(m -> m.contains("model 'seed' refused") && m.contains("does not match the SHA-256"));

            Digits digits = Digits.load();
            HttpResponse<String> predicted = server.post("/predict?model=dualnet", "{\"image\":"
                    + TestServer.mapper().writeValueAsString(digits.image(1)) + ",\"number\":4}");
            assertThat(predicted.statusCode()).isEqualTo(200);
            assertThat(TestServer.json(predicted).get("digit").asInt()).isEqualTo(digits.expectedDigit(1));
            assertThat(server.get("/v2/models/adder/ready").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aModelWithoutACardLoadsWithOneWarning() throws Exception {
        Path repo = TestServer.repository(dir);
        Files.delete(repo.resolve("seed/model_card.json"));
        try (LogCapture log = new LogCapture(); TestServer server = TestServer.start(repo, true, 200)) {
            assertThat(server.get("/v2/models/seed/ready").statusCode()).isEqualTo(200);
            assertThat(log.warnings()).filteredOn(m -> m.contains("model 'seed'")).singleElement()
                    .asString().contains("weights not verified", "no model_card.json");
            assertThat(log.warnings()).noneMatch(m -> m.contains("model 'dualnet'"));
        }
    }
}
