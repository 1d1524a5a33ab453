package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Concurrent single requests are gathered into batches, and each gets its own answer back. */
class BatchingTest {
    @TempDir
    Path dir;

    @Test
    void concurrentRequestsShareRuntimeCallsAndGetTheirOwnResults() throws Exception {
        Digits digits = Digits.load();
        int requests = 64;
        try (TestServer server = TestServer.start(TestServer.repository(dir), true, 20_000)) {
            ExecutorService pool = Executors.newFixedThreadPool(32);
            try {
                List<Future<JsonNode>> answers = new ArrayList<>();
                for (int r = 0; r < requests; r++) {
                    int i = r % digits.count();
                    answers.add(pool.submit((Callable<JsonNode>) () -> {
                        HttpResponse<String> response = server.post("/predict", "{\"image\":"
                                + TestServer.mapper().writeValueAsString(digits.image(i)) + ",\"number\":"
                                + digits.number(i) + "}");
                        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                        return TestServer.json(response);
                    }));
                }
                for (int r = 0; r < requests; r++) {
                    JsonNode answer = answers.get(r).get();
                    int i = r % digits.count();
                    assertThat(answer.get("digit").asInt()).as("request " + r).isEqualTo(digits.expectedDigit(i));
                    assertThat(answer.get("sum").asInt()).as("request " + r).isEqualTo(digits.expectedSum(i));
                }
            } finally {
                pool.shutdownNow();
            }
            String metrics = server.get("/metrics").body();
            double batches = value(metrics, "dualnet_batch_size_count");
            double rows = value(metrics, "dualnet_batch_size_sum");
            assertThat(rows).isEqualTo(requests);
            assertThat(batches).as("runtime calls for " + requests + " requests").isLessThan(requests / 2.0);
        }
    }

    @Test
    void withBatchingOffEveryRequestRunsAlone() throws Exception {
        Digits digits = Digits.load();
        try (TestServer server = TestServer.start(TestServer.repository(dir), false, 0)) {
            for (int i = 0; i < 3; i++) {
                JsonNode answer = TestServer.json(server.post("/predict", "{\"image\":"
                        + TestServer.mapper().writeValueAsString(digits.image(i)) + ",\"number\":" + digits.number(i) + "}"));
                assertThat(answer.get("sum").asInt()).isEqualTo(digits.expectedSum(i));
            }
            assertThat(server.get("/metrics").body()).doesNotContain("dualnet_batch_size_count 3");
        }
    }

    private static double value(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.eE+-]+)$").matcher(metrics);
        assertThat(m.find()).as(name + " in\n" + metrics).isTrue();
        return Double.parseDouble(m.group(1));
    }
    @Test
    void aRequestWhoseValuesTheGraphRejectsGetsA400AndItsBatchStillRuns() throws Exception {
        // lookup: index int64 [N] -> row float32 [N,2], a Gather on a table of ten rows.
        Path repo = TestServer.repository(dir);
        Path version = java.nio.file.Files.createDirectories(repo.resolve("lookup/1"));
        java.nio.file.Files.copy(TestServer.seedEntry().resolveSibling("../lookup.onnx").normalize(),
                version.resolve("model.onnx"));
        int requests = 24;
        try (TestServer server = TestServer.start(repo, true, 50_000)) {
            ExecutorService pool = Executors.newFixedThreadPool(requests);
            try {
                List<Future<HttpResponse<String>>> answers = new ArrayList<>();
                for (int r = 0; r < requests; r++) {
                    long index = r % 4 == 3 ? 10 + r : r % 10;
                    answers.add(pool.submit(() -> server.post("/v2/models/lookup/infer", "{\"inputs\":[{\"name\":"
                            + "\"index\",\"shape\":[1],\"datatype\":\"INT64\",\"data\":[" + index + "]}]}")));
                }
                for (int r = 0; r < requests; r++) {
                    HttpResponse<String> response = answers.get(r).get();
                    if (r % 4 == 3) {
                        assertThat(response.statusCode()).as("request %d: %s", r, response.body()).isEqualTo(400);
                        assertThat(TestServer.json(response).get("error").asText())
                                .startsWith("the model cannot take these input values: Gather node")
                                .contains("idx=" + (10 + r));
                    } else {
                        assertThat(response.statusCode()).as("request %d: %s", r, response.body()).isEqualTo(200);
                        JsonNode row = TestServer.json(response).get("outputs").get(0).get("data");
                        assertThat(row.get(0).asDouble()).as("request " + r).isEqualTo(2.0 * (r % 10));
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            String metrics = server.get("/metrics").body();
            assertThat(value(metrics, "dualnet_batch_size_count")).as("requests were batched").isLessThan(requests);
        }
    }
}
