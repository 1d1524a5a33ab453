package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dualnet.server.models.ModelControl;
import dev.dualnet.server.models.ModelStore;
import dev.dualnet.server.testing.TestModels;
import dev.dualnet.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloads under load: while 64 connections send requests without pause, a new version is loaded
 * (and the one it replaces unloaded) three times. No request may fail, and every answer must come
 * from the version it says served it: each version answers y = x + its own number.
 */
class ZeroDowntimeReloadTest {
    private static final int CONNECTIONS = 64;
    private static final long SECONDS = Long.getLong("dualnet.test.reload.seconds", 30);

    @TempDir
    Path dir;

    @Test
    void threeReloadsUnderSixtyFourConnectionsDropNoRequest() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("models"));
        TestModels.config(repo, "tagged", """
                name: "tagged"
                max_batch_size: 8
                input [ { name: "x" data_type: TYPE_FP32 dims: [ 1 ] } ]
                output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] } ]
                """);
        TestModels.tagged(repo, "tagged", 1, 1);
        ModelStore.Control control = new ModelStore.Control(ModelControl.EXPLICIT, Set.of(), 0);
        try (TestServer server = TestServer.start(repo, true, 200, control)) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            URI infer = server.uri("/v2/models/tagged/infer");
            Map<Long, LongAdder> answers = new ConcurrentHashMap<>();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicLong stopAt = new AtomicLong(System.nanoTime() + SECONDS * 1_000_000_000L);
            List<Thread> senders = new ArrayList<>();
            for (int c = 0; c < CONNECTIONS; c++) {
                Thread sender = new Thread(() -> {
                    while (System.nanoTime() < stopAt.get()) {
                        int x = ThreadLocalRandom.current().nextInt(1000);
                        try {
                            HttpResponse<String> response = client.send(HttpRequest.newBuilder(infer)
                                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\":[{\"name\":\"x\",\"shape\":"
                                            + "[1,1],\"datatype\":\"FP32\",\"data\":[" + x + "]}]}")).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (response.statusCode() != 200) {
                                failures.add(response.statusCode() + " " + response.body());
                                continue;
                            }
                            JsonNode body = TestServer.json(response);
                            long version = Long.parseLong(body.get("model_version").asText());
                            double y = body.get("outputs").get(0).get("data").get(0).asDouble();
                            if (y - x != version) {
                                failures.add("version " + version + " answered " + y + " for " + x);
                            }
                            answers.computeIfAbsent(version, v -> new LongAdder()).increment();
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                    }
                }, "sender-" + c);
                senders.add(sender);
            }
            senders.forEach(Thread::start);
            long start = System.nanoTime();
            for (int reload = 1; reload <= 3; reload++) {
                long due = start + reload * SECONDS * 1_000_000_000L / 4;
                Thread.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000));
                TestModels.tagged(repo, "tagged", reload + 1, reload + 1);
                HttpResponse<String> load = server.post("/v2/repository/models/tagged/load", "");
                assertThat(load.statusCode()).as(load.body()).isEqualTo(200);
            }
            for (Thread sender : senders) {
                sender.join(SECONDS * 1_000 + 60_000);
            }
            long total = answers.values().stream().mapToLong(LongAdder::sum).sum();
            System.out.printf("reload under load: %d answers in %d s over %d connections, by version %s; %d failures%n",
                    total, SECONDS, CONNECTIONS, answers, failures.size());
            assertThat(failures).as("failed or mismatched requests").isEmpty();
            assertThat(answers.keySet()).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
            JsonNode index = TestServer.json(server.post("/v2/repository/index", ""));
            assertThat(index.toString()).contains("\"version\":\"4\"").doesNotContain("\"version\":\"3\"");
        }
    }
}
