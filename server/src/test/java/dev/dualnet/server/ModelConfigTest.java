package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * config.pbtxt is read as Triton's ModelConfig and checked against the graph at load: a config
 * that does not parse or does not fit refuses its model with the reason, and the config's
 * max_batch_size, dims and queue policy are what requests are held to.
 */
class ModelConfigTest {
    @TempDir
    Path dir;

    private static String config(String name, String maxBatch, String imageDims, String extra) {
        return "name: \"" + name + "\"\nplatform: \"onnxruntime_onnx\"\nmax_batch_size: " + maxBatch + "\n"
                + "input [ { name: \"image\" data_type: TYPE_FP32 dims: " + imageDims + " },\n"
                + "  { name: \"number\" data_type: TYPE_INT64 dims: [ 1 ] reshape: { shape: [ ] } } ]\n"
                + "output [ { name: \"digit\" data_type: TYPE_FP32 dims: [ 10 ] },\n"
                + "  { name: \"sum\" data_type: TYPE_FP32 dims: [ 19 ] } ]\n" + extra;
    }

    private static String reason(TestServer server, String model) throws Exception {
        HttpResponse<String> ready = server.get("/v2/models/" + model + "/ready");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(400);
        return TestServer.json(ready).get("error").asText();
    }

    private static String infer(Digits digits, int rows, String numberShape) throws Exception {
        float[] pixels = new float[rows * 784];
        long[] numbers = new long[rows];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(digits.image(i % 8), 0, pixels, i * 784, 784);
            numbers[i] = digits.number(i % 8);
        }
        return "{\"inputs\":[{\"name\":\"image\",\"shape\":[" + rows + ",1,28,28],\"datatype\":\"FP32\",\"data\":"
                + TestServer.mapper().writeValueAsString(pixels) + "},{\"name\":\"number\",\"shape\":"
                + numberShape.replace("N", Integer.toString(rows)) + ",\"datatype\":\"INT64\",\"data\":"
                + TestServer.mapper().writeValueAsString(numbers) + "}]}";
    }

    @Test
    void unparsableEmptyAndMismatchedConfigsRefuseTheirModelWithThePreciseReason() throws Exception {
        Path repo = TestServer.repository(dir);
        Path seed = TestServer.seedEntry();
        Files.writeString(TestServer.copyEntry(seed, repo, "garbage").resolve("config.pbtxt"), "name: \"garbage\"\n{{{ not a config");
        Files.writeString(TestServer.copyEntry(seed, repo, "empty").resolve("config.pbtxt"), "  \n# nothing\n");
        Files.writeString(TestServer.copyEntry(seed, repo, "typo").resolve("config.pbtxt"), "name: \"typo\"\nmax_bach_size: 8\n");
        Files.writeString(TestServer.copyEntry(seed, repo, "renamed").resolve("config.pbtxt"),
                config("other", "256", "[ 1, 28, 28 ]", ""));
        Files.writeString(TestServer.copyEntry(seed, repo, "wrongdims").resolve("config.pbtxt"),
                config("wrongdims", "256", "[ 1, 28, 29 ]", ""));
        Files.writeString(TestServer.copyEntry(seed, repo, "wrongtype").resolve("config.pbtxt"),
                config("wrongtype", "256", "[ 1, 28, 28 ]", "").replace("TYPE_INT64", "TYPE_INT32"));
        try (TestServer server = TestServer.start(repo, true, 200)) {
            assertThat(reason(server, "garbage")).contains("config.pbtxt line 2, column 1");
            assertThat(reason(server, "empty")).contains("config.pbtxt is empty");
            assertThat(reason(server, "typo")).contains("config.pbtxt line 2, column 1: unknown field 'max_bach_size'");
            assertThat(reason(server, "renamed")).contains("name 'other' does not match the model's directory 'renamed'");
            assertThat(reason(server, "wrongdims")).contains("input 'image' dims [1, 28, 29] do not match the model's [1, 28, 28]");
            assertThat(reason(server, "wrongtype")).contains("input 'number' data_type TYPE_INT32 does not match the model's TYPE_INT64");
            for (String model : new String[] {"garbage", "empty", "typo", "renamed", "wrongdims", "wrongtype"}) {
                assertThat(reason(server, model)).doesNotContain(dir.toString());
            }
            assertThat(server.get("/v2/models/dualnet/ready").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void maxBatchSizeDimsAndReshapeAreEnforcedAsTheConfigSays() throws Exception {
        Path repo = TestServer.repository(dir);
        Files.writeString(TestServer.copyEntry(TestServer.seedEntry(), repo, "small").resolve("config.pbtxt"),
                config("small", "4", "[ 1, 28, 28 ]", ""));
        Digits digits = Digits.load();
        try (TestServer server = TestServer.start(repo, true, 200)) {
            HttpResponse<String> tooMany = server.post("/v2/models/small/infer", infer(digits, 5, "[N]"));
            assertThat(tooMany.statusCode()).isEqualTo(400);
            assertThat(TestServer.json(tooMany).get("error").asText()).contains("batch of 5", "max_batch_size 4");
            HttpResponse<String> committed = server.post("/v2/models/dualnet/infer", infer(digits, 257, "[N]"));
            assertThat(committed.statusCode()).isEqualTo(400);
            assertThat(TestServer.json(committed).get("error").asText()).contains("max_batch_size 256");

            // The config's dims [1] for number, reshaped to the graph's scalar per row; the graph's own shape is taken too.
            for (String shape : new String[] {"[N,1]", "[N]"}) {
                HttpResponse<String> ok = server.post("/v2/models/small/infer", infer(digits, 4, shape));
                assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
                JsonNode digit = TestServer.json(ok).get("outputs").get(0);
                assertThat(digit.get("shape").toString()).isEqualTo("[4,10]");
                for (int i = 0; i < 4; i++) {
                    double[] p = new double[10];
                    for (int k = 0; k < 10; k++) {
                        p[k] = digit.get("data").get(i * 10 + k).asDouble();
                    }
                    int best = 0;
                    for (int k = 1; k < 10; k++) {
                        best = p[k] > p[best] ? k : best;
                    }
                    assertThat(best).isEqualTo(digits.expectedDigit(i));
                }
            }
            HttpResponse<String> wrongRank = server.post("/v2/models/small/infer", infer(digits, 2, "[N,1,1]"));
            assertThat(wrongRank.statusCode()).isEqualTo(400);
            assertThat(TestServer.json(wrongRank).get("error").asText()).contains("expected [-1, 1] or [-1]");
            JsonNode meta = TestServer.json(server.get("/v2/models/small"));
            assertThat(meta.get("inputs").get(1).get("shape").toString()).isEqualTo("[-1,1]");
        }
    }

    @Test
    void theConfigsQueuePolicySizesTheModelsQueue() throws Exception {
        Path repo = TestServer.repository(dir);
        Files.writeString(TestServer.copyEntry(TestServer.seedEntry(), repo, "queued").resolve("config.pbtxt"),
                config("queued", "8", "[ 1, 28, 28 ]", "dynamic_batching { default_queue_policy { max_queue_size: 3 } }\n"));
        try (TestServer server = TestServer.start(repo, true, 200)) {
            assertThat(server.server().models().get("queued").orElseThrow().version(null).maxQueueSize()).isEqualTo(3);
            assertThat(server.server().models().get("dualnet").orElseThrow().version(null).maxQueueSize()).isEqualTo(256);
        }
    }

    @Test
    void aModelWithoutConfigIsDerivedFromItsGraph() throws Exception {
        Path repo = TestServer.repository(dir);
        Files.delete(repo.resolve("seed/config.pbtxt"));
        try (TestServer server = TestServer.start(repo, true, 200)) {
            JsonNode meta = TestServer.json(server.get("/v2/models/seed"));
            assertThat(meta.get("inputs").get(1).get("shape").toString()).isEqualTo("[-1]");
            assertThat(server.post("/v2/models/seed/infer", infer(Digits.load(), 2, "[N]")).statusCode()).isEqualTo(200);
        }
    }
}
