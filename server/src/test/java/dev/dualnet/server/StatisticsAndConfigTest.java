package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dualnet.server.testing.LogCapture;
import dev.dualnet.server.testing.TestModels;
import dev.dualnet.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Triton's model configuration and statistics extensions, and the config fields the server acts on. */
class StatisticsAndConfigTest {
    @TempDir
    Path dir;

    private static final String INFER = "{\"inputs\":[{\"name\":\"x\",\"shape\":[%d,1],\"datatype\":\"FP32\",\"data\":%s}]}";

    @Test
    void serverMetadataListsTheExtensionsItImplements() throws Exception {
        try (TestServer server = TestServer.start(TestServer.repository(dir), true, 200)) {
            assertThat(TestServer.json(server.get("/v2")).get("extensions").toString())
                    .isEqualTo("[\"binary_tensor_data\",\"model_configuration\",\"statistics\",\"model_repository\"]");
        }
    }

    @Test
    void theConfigIsTheFilesCompletedFromTheGraphAndTheServer() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("models"));
        TestModels.tagged(repo, "derived", 1, 7);
        TestModels.config(repo, "grouped", """
                name: "grouped"
                max_batch_size: 4
                input [ { name: "x" data_type: TYPE_FP32 dims: [ 1 ] } ]
                output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] } ]
                instance_group [ { count: 2 kind: KIND_CPU } ]
                dynamic_batching { preferred_batch_size: [ 2, 4 ] max_queue_delay_microseconds: 300 }
                """);
        TestModels.tagged(repo, "grouped", 1, 8);
        try (TestServer server = TestServer.start(repo, true, 200)) {
            JsonNode derived = TestServer.json(server.get("/v2/models/derived/config"));
            assertThat(derived.get("name").asText()).isEqualTo("derived");
            assertThat(derived.get("platform").asText()).isEqualTo("onnxruntime_onnx");
            assertThat(derived.get("max_batch_size").asInt()).isEqualTo(64);
            assertThat(derived.get("input").get(0).get("name").asText()).isEqualTo("x");
            assertThat(derived.get("input").get(0).get("data_type").asText()).isEqualTo("TYPE_FP32");
            assertThat(derived.get("input").get(0).get("dims").toString()).isEqualTo("[1]");
            assertThat(derived.get("version_policy").get("latest").get("num_versions").asInt()).isEqualTo(1);
            assertThat(derived.get("instance_group").get(0).get("count").asInt()).isEqualTo(1);
            assertThat(derived.get("instance_group").get(0).get("kind").asText()).isEqualTo("KIND_CPU");
            assertThat(derived.get("dynamic_batching").get("max_queue_delay_microseconds").asLong()).isEqualTo(200);
            assertThat(derived.has("sequence_batching")).isFalse();

            JsonNode grouped = TestServer.json(server.get("/v2/models/grouped/versions/1/config"));
            assertThat(grouped.get("instance_group").get(0).get("count").asInt()).isEqualTo(2);
            assertThat(grouped.get("dynamic_batching").get("preferred_batch_size").toString()).isEqualTo("[2,4]");
            assertThat(grouped.get("dynamic_batching").get("max_queue_delay_microseconds").asLong()).isEqualTo(300);
            assertThat(server.get("/v2/models/grouped/versions/2/config").statusCode()).isEqualTo(404);
            assertThat(server.get("/v2/models/nothing/config").statusCode()).isEqualTo(404);

            // Two instances answer concurrent requests, each with its own rows.
            java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> pending = new java.util.ArrayList<>();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            try {
                for (int i = 0; i < 16; i++) {
                    int value = i;
                    pending.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            return server.post("/v2/models/grouped/infer", INFER.formatted(1, "[" + value + "]"));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }, pool));
                }
                for (int i = 0; i < 16; i++) {
                    HttpResponse<String> response = pending.get(i).join();
                    assertThat(response.statusCode()).isEqualTo(200);
                    assertThat(TestServer.json(response).get("outputs").get(0).get("data").get(0).asDouble())
                            .isEqualTo(i + 8.0);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void statisticsCountRequestsRowsRuntimeCallsAndFailures() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("models"));
        TestModels.tagged(repo, "tagged", 1, 1);
        try (TestServer server = TestServer.start(repo, true, 200)) {
            for (int i = 0; i < 5; i++) {
                assertThat(server.post("/v2/models/tagged/infer", INFER.formatted(2, "[1,2]")).statusCode()).isEqualTo(200);
            }
            assertThat(server.post("/v2/models/tagged/infer", INFER.formatted(2, "[1]")).statusCode()).isEqualTo(400);
            JsonNode stats = TestServer.json(server.get("/v2/models/tagged/stats")).get("model_stats");
            assertThat(stats).hasSize(1);
            JsonNode model = stats.get(0);
            assertThat(model.get("name").asText()).isEqualTo("tagged");
            assertThat(model.get("version").asText()).isEqualTo("1");
            assertThat(model.get("inference_count").asLong()).isEqualTo(10);
            assertThat(model.get("execution_count").asLong()).isBetween(1L, 6L);
            assertThat(model.get("last_inference").asLong()).isGreaterThan(System.currentTimeMillis() - 60_000);
            JsonNode inference = model.get("inference_stats");
            assertThat(inference.get("success").get("count").asLong()).isEqualTo(5);
            assertThat(inference.get("success").get("ns").asLong()).isPositive();
            assertThat(inference.get("fail").get("count").asLong()).isEqualTo(1);
            assertThat(inference.get("queue").get("count").asLong()).isEqualTo(5);
            assertThat(inference.get("compute_infer").get("count").asLong()).isEqualTo(5);
            assertThat(inference.get("compute_infer").get("ns").asLong()).isPositive();
            assertThat(inference.get("compute_input").get("count").asLong()).isEqualTo(5);
            assertThat(inference.get("compute_output").get("count").asLong()).isEqualTo(5);
            assertThat(inference.get("cache_hit").get("count").asLong()).isZero();
            JsonNode batches = model.get("batch_stats");
            assertThat(batches).isNotEmpty();
            long calls = 0;
            for (JsonNode batch : batches) {
                assertThat(batch.get("batch_size").asLong()).isPositive();
                calls += batch.get("compute_infer").get("count").asLong();
            }
            assertThat(calls).isEqualTo(model.get("execution_count").asLong());
            assertThat(TestServer.json(server.get("/v2/models/stats")).get("model_stats")).hasSize(1);
            assertThat(TestServer.json(server.get("/v2/models/tagged/versions/1/stats")).get("model_stats")).hasSize(1);
            assertThat(server.get("/v2/models/tagged/versions/9/stats").statusCode()).isEqualTo(404);
            assertThat(server.get("/v2/models/nothing/stats").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void fieldsTheServerDoesNotHonourAreNamedAtStartup() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("models"));
        TestModels.config(repo, "tagged", """
                name: "tagged"
                max_batch_size: 4
                input [ { name: "x" data_type: TYPE_FP32 dims: [ 1 ] format: FORMAT_NCHW } ]
                output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] } ]
                model_warmup [ { name: "w" batch_size: 1 } ]
                dynamic_batching { priority_levels: 2 default_queue_policy { timeout_action: DELAY } }
                """);
        TestModels.tagged(repo, "tagged", 1, 1);
        try (LogCapture log = new LogCapture(); TestServer server = TestServer.start(repo, true, 200)) {
            assertThat(log.warnings()).anySatisfy(w -> assertThat(w).startsWith("model 'tagged': config.pbtxt sets"
                    + " fields this server does not honour: ").contains("input.format", "model_warmup",
                    "dynamic_batching.priority_levels", "timeout_action DELAY"));
            assertThat(server.get("/v2/models/tagged/ready").statusCode()).isEqualTo(200);
        }
    }
}
