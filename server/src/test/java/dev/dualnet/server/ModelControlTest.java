package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dualnet.server.models.ModelControl;
import dev.dualnet.server.models.ModelStore;
import dev.dualnet.server.testing.LogCapture;
import dev.dualnet.server.testing.TestModels;
import dev.dualnet.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model control as Triton's repository extension defines it: the index, load (and reload) and
 * unload, version policies, and a repository polled for changes.
 */
class ModelControlTest {
    @TempDir
    Path dir;

    private static final String TAGGED_CONFIG = """
            name: "tagged"
            platform: "onnxruntime_onnx"
            max_batch_size: 8
            input [ { name: "x" data_type: TYPE_FP32 dims: [ 1 ] } ]
            output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] } ]
            """;

    private Path repository() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("models"));
        TestServer.copyEntry(TestServer.adderEntry(), repo, "adder");
        TestModels.config(repo, "tagged", TAGGED_CONFIG);
        TestModels.tagged(repo, "tagged", 1, 1);
        return repo;
    }

    /** y - x of one request to the model (and version, when given), with the version that answered. */
    private static long[] tagOf(TestServer server, String path) throws Exception {
        HttpResponse<String> response = server.post(path, "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,1],"
                + "\"datatype\":\"FP32\",\"data\":[0.5]}]}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = TestServer.json(response);
        double y = body.get("outputs").get(0).get("data").get(0).asDouble();
        return new long[] {Math.round(y - 0.5), Long.parseLong(body.get("model_version").asText())};
    }

    private static JsonNode index(TestServer server) throws Exception {
        HttpResponse<String> response = server.post("/v2/repository/index", "");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return TestServer.json(response);
    }

    private static JsonNode row(JsonNode index, String name) {
        for (JsonNode row : index) {
            if (row.get("name").asText().equals(name)) {
                return row;
            }
        }
        throw new AssertionError("no row for " + name + " in " + index);
    }

    @Test
    void withoutModelControlTheIndexAnswersAndLoadAndUnloadAreRefused() throws Exception {
        try (TestServer server = TestServer.start(repository(), true, 200)) {
            JsonNode index = index(server);
            assertThat(row(index, "tagged").get("state").asText()).isEqualTo("READY");
            assertThat(row(index, "tagged").get("version").asText()).isEqualTo("1");
            HttpResponse<String> load = server.post("/v2/repository/models/tagged/load", "");
            assertThat(load.statusCode()).isEqualTo(403);
            assertThat(TestServer.json(load).get("error").asText())
                    .isEqualTo("cannot load models: model control is off; start the server with --model-control"
                            + " explicit or poll");
            assertThat(server.post("/v2/repository/models/tagged/unload", "").statusCode()).isEqualTo(403);
            assertThat(tagOf(server, "/v2/models/tagged/infer")).containsExactly(1, 1);
        }
    }

    @Test
    void explicitControlLoadsReloadsAndUnloadsAndKeepsServingWhenALoadFails() throws Exception {
        Path repo = repository();
        ModelStore.Control control = new ModelStore.Control(ModelControl.EXPLICIT, Set.of("adder"), 0);
        try (LogCapture log = new LogCapture(); TestServer server = TestServer.start(repo, true, 200, control)) {
            assertThat(row(index(server), "tagged").get("state").asText()).isEqualTo("UNAVAILABLE");
            assertThat(row(index(server), "tagged").get("reason").asText()).isEqualTo("not loaded");
            assertThat(server.post("/v2/models/tagged/infer", "{}").statusCode()).isEqualTo(503);
            assertThat(server.get("/v2/health/ready").statusCode()).as("models not asked for do not count").isEqualTo(200);

            assertThat(server.post("/v2/repository/models/tagged/load", "").statusCode()).isEqualTo(200);
            assertThat(tagOf(server, "/v2/models/tagged/infer")).containsExactly(1, 1);

            TestModels.tagged(repo, "tagged", 2, 2);
            assertThat(tagOf(server, "/v2/models/tagged/infer")).as("nothing changes before a load").containsExactly(1, 1);
            assertThat(server.post("/v2/repository/models/tagged/load", "").statusCode()).isEqualTo(200);
            assertThat(tagOf(server, "/v2/models/tagged/infer")).containsExactly(2, 2);
            assertThat(server.post("/v2/models/tagged/versions/1/infer", "{}").statusCode()).isEqualTo(404);

            TestModels.corrupt(repo, "tagged", 3);
            HttpResponse<String> failed = server.post("/v2/repository/models/tagged/load", "");
            assertThat(failed.statusCode()).isEqualTo(400);
            assertThat(TestServer.json(failed).get("error").asText()).startsWith("failed to load 'tagged': version 3:"
                    + " model.onnx cannot be loaded").doesNotContain(dir.toString());
            assertThat(tagOf(server, "/v2/models/tagged/infer")).as("version 2 keeps serving").containsExactly(2, 2);
            JsonNode tagged = row(index(server), "tagged");
            assertThat(tagged.get("state").asText()).isEqualTo("READY");
            assertThat(tagged.get("version").asText()).isEqualTo("2");
            assertThat(tagged.get("reason").asText()).contains("version 3");
            assertThat(log.events()).anyMatch(e -> e.getFormattedMessage().contains("model 'tagged' refused"));

            assertThat(server.post("/v2/repository/models/tagged/unload", "").statusCode()).isEqualTo(200);
            assertThat(server.post("/v2/models/tagged/infer", "{}").statusCode()).isEqualTo(503);
            assertThat(row(index(server), "tagged").get("reason").asText()).isEqualTo("unloaded");
            assertThat(index(server).toString()).doesNotContain("\"version\":\"2\"");
            JsonNode readyOnly = TestServer.json(server.post("/v2/repository/index", "{\"ready\":true}"));
            assertThat(readyOnly).extracting(r -> r.get("name").asText()).containsExactly("adder");

            HttpResponse<String> unknown = server.post("/v2/repository/models/nothing/load", "");
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(TestServer.json(unknown).get("error").asText()).startsWith("no model 'nothing' in the repository");
            HttpResponse<String> withConfig = server.post("/v2/repository/models/tagged/load",
                    "{\"parameters\":{\"config\":\"{}\"}}");
            assertThat(withConfig.statusCode()).isEqualTo(400);
            assertThat(TestServer.json(withConfig).get("error").asText()).contains("load parameters [config] are not"
                    + " supported");
        }
    }

    @Test
    void versionPoliciesChooseTheVersionsThatServe() throws Exception {
        Path repo = repository();
        TestModels.tagged(repo, "tagged", 2, 2);
        TestModels.tagged(repo, "tagged", 3, 3);
        TestModels.config(repo, "tagged", TAGGED_CONFIG + "version_policy: { all: { } }\n");
        ModelStore.Control control = new ModelStore.Control(ModelControl.EXPLICIT, Set.of(), 0);
        try (TestServer server = TestServer.start(repo, true, 200, control)) {
            assertThat(TestServer.json(server.get("/v2/models/tagged")).get("versions").toString())
                    .isEqualTo("[\"1\",\"2\",\"3\"]");
            assertThat(tagOf(server, "/v2/models/tagged/versions/1/infer")).containsExactly(1, 1);
            assertThat(tagOf(server, "/v2/models/tagged/versions/2/infer")).containsExactly(2, 2);
            assertThat(tagOf(server, "/v2/models/tagged/infer")).as("the highest by default").containsExactly(3, 3);
            assertThat(server.get("/v2/models/tagged/versions/2/ready").statusCode()).isEqualTo(200);

            TestModels.config(repo, "tagged", TAGGED_CONFIG + "version_policy: { specific: { versions: [ 1, 3 ] } }\n");
            assertThat(server.post("/v2/repository/models/tagged/load", "").statusCode()).isEqualTo(200);
            assertThat(TestServer.json(server.get("/v2/models/tagged")).get("versions").toString())
                    .isEqualTo("[\"1\",\"3\"]");
            assertThat(server.get("/v2/models/tagged/versions/2/ready").statusCode()).isEqualTo(400);

            TestModels.config(repo, "tagged", TAGGED_CONFIG + "version_policy: { latest: { num_versions: 2 } }\n");
            assertThat(server.post("/v2/repository/models/tagged/load", "").statusCode()).isEqualTo(200);
            assertThat(TestServer.json(server.get("/v2/models/tagged")).get("versions").toString())
                    .isEqualTo("[\"2\",\"3\"]");
            assertThat(tagOf(server, "/v2/models/tagged/versions/2/infer")).containsExactly(2, 2);
        }
    }

    @Test
    void aPolledRepositoryServesANewVersionWithinTwoPollsAndRefusesACorruptOne() throws Exception {
        Path repo = repository();
        ModelStore.Control control = new ModelStore.Control(ModelControl.POLL, Set.of(), 1);
        try (LogCapture log = new LogCapture(); TestServer server = TestServer.start(repo, true, 200, control)) {
            assertThat(tagOf(server, "/v2/models/tagged/infer")).containsExactly(1, 1);
            TestModels.tagged(repo, "tagged", 2, 2);
            long placed = System.nanoTime();
            long[] answer = tagOf(server, "/v2/models/tagged/infer");
            while (answer[1] != 2 && System.nanoTime() - placed < 2_500_000_000L) {
                Thread.sleep(50);
                answer = tagOf(server, "/v2/models/tagged/infer");
            }
            long millis = (System.nanoTime() - placed) / 1_000_000;
            System.out.printf("poll every 1 s: version 2 served %d ms after it was placed%n", millis);
            assertThat(answer).as("serving version 2 %d ms after it was placed", millis).containsExactly(2, 2);

            TestModels.corrupt(repo, "tagged", 3);
            long deadline = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < deadline && log.events().stream()
                    .noneMatch(e -> e.getFormattedMessage().contains("model 'tagged' refused"))) {
                Thread.sleep(50);
            }
            assertThat(log.events()).anyMatch(e -> e.getFormattedMessage().contains("model 'tagged' refused")
                    && e.getFormattedMessage().contains("version 3"));
            assertThat(tagOf(server, "/v2/models/tagged/infer")).containsExactly(2, 2);
            assertThat(row(index(server), "tagged").get("reason").asText()).contains("version 3");

            TestServer.copyTree(repo.resolve("adder"), dir.resolve("adder-moved"));
            try (var files = Files.walk(repo.resolve("adder"))) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            deadline = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < deadline && server.get("/v2/models/adder/ready").statusCode() == 200) {
                Thread.sleep(50);
            }
            assertThat(server.get("/v2/models/adder/ready").statusCode()).as("a removed model unloads").isEqualTo(404);
            assertThat(index(server).toString()).doesNotContain("adder");

            // An unload by request outlasts the polls that follow it, as long as the files stay as they are.
            assertThat(server.post("/v2/repository/models/tagged/unload", "").statusCode()).isEqualTo(200);
            Thread.sleep(2_500);
            assertThat(server.get("/v2/models/tagged/ready").statusCode()).isEqualTo(400);
            assertThat(row(index(server), "tagged").get("reason").asText()).isEqualTo("unloaded");
        }
    }
}
