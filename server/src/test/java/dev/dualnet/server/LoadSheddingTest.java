package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.server.models.ModelStore;
import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.TestServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model's queue is bounded: what does not fit gets 503 with Retry-After at once, the rest correct answers. */
class LoadSheddingTest {
    @TempDir
    Path dir;

    @Test
    void requestsBeyondTheQueueAreRefusedAtOnceAndTheRestAnswered() throws Exception {
        DualnetServer.Settings base = TestServer.settings(TestServer.repository(dir), true, 300_000);
        ModelStore.Settings models = base.models();
        DualnetServer.Settings small = new DualnetServer.Settings(base.host(), 0, base.modelDir(),
                new ModelStore.Settings(models.runtime(), true, models.maxBatchSize(), models.batchDelayMicros(), 4),
                base.body(), base.threads(), base.corsOrigins());
        Digits digits = Digits.load();
        String body = "{\"image\":" + TestServer.mapper().writeValueAsString(digits.image(2)) + ",\"number\":5}";
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try (TestServer server = TestServer.start(small)) {
            List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                sent.add(client.sendAsync(HttpRequest.newBuilder(server.uri("/predict?model=dualnet"))
                        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(20))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            int ok = 0;
            int shed = 0;
            for (int i = 0; i < sent.size(); i++) {
                HttpResponse<String> response = sent.get(i).get();
                if (response.statusCode() == 200) {
                    ok++;
                    assertThat(TestServer.json(response).get("digit").asInt()).isEqualTo(digits.expectedDigit(2));
                } else {
                    shed++;
                    assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
                    assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
                    assertThat(TestServer.json(response).get("error").asText()).contains("busy", "queue holds 4");
                }
            }
            assertThat(ok).isGreaterThanOrEqualTo(4);
            assertThat(shed).isGreaterThan(0);
            assertThat(ok + shed).isEqualTo(40);
            assertThat(server.get("/v2/health/ready").statusCode()).isEqualTo(200);
            HttpResponse<String> after = server.post("/predict?model=dualnet", body);
            assertThat(after.statusCode()).isEqualTo(200);
        }
    }
}
