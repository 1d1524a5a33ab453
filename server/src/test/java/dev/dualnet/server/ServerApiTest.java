package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dualnet.server.http.Routes;
import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.TestServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerApiTest {
    @TempDir
    static Path dir;

    static TestServer server;
    static Digits digits;

    @BeforeAll
    static void start() throws Exception {
        Path repo = TestServer.repository(dir);
        // A broken model and one that fails its parity check must not stop the others.
        Files.createDirectories(repo.resolve("broken").resolve("1"));
        Files.writeString(repo.resolve("broken").resolve("1").resolve("model.onnx"), "not a model");
        TestServer.copyEntry(TestServer.seedEntry(), repo, "drifted");
        Path expected = repo.resolve("drifted").resolve("1").resolve("parity").resolve("digit.f32");
        byte[] bytes = Files.readAllBytes(expected);
        bytes[3] ^= 0x40; // the exponent of the first expected probability
        Files.write(expected, bytes);
        server = TestServer.start(repo, true, 500);
        digits = Digits.load();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void healthAndMetadataFollowTheOpenInferenceProtocol() throws Exception {
        assertThat(server.get("/v2/health/live").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = server.get("/v2/health/ready");
        assertThat(ready.statusCode()).isEqualTo(503); // two models were refused
        assertThat(TestServer.json(server.get("/v2")).get("name").asText()).isEqualTo("dualnet");

        JsonNode meta = TestServer.json(server.get("/v2/models/dualnet"));
        assertThat(meta.get("versions").get(0).asText()).isEqualTo("1");
        assertThat(meta.get("platform").asText()).isEqualTo("onnxruntime_onnx");
        assertThat(meta.get("inputs").get(0).toString())
                .isEqualTo("{\"name\":\"image\",\"datatype\":\"FP32\",\"shape\":[-1,1,28,28]}");
        assertThat(meta.get("outputs").get(1).toString())
                .isEqualTo("{\"name\":\"sum\",\"datatype\":\"FP32\",\"shape\":[-1,19]}");
        assertThat(server.get("/v2/models/dualnet/versions/1").statusCode()).isEqualTo(200);
        assertThat(server.get("/v2/models/dualnet/versions/2").statusCode()).isEqualTo(404);
        assertThat(server.get("/v2/models/adder").body()).contains("\"name\":\"total\"");
        assertThat(server.get("/v2/models/dualnet/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void refusedModelsAreReportedNotReadyWithTheirReason() throws Exception {
        HttpResponse<String> broken = server.get("/v2/models/broken/ready");
        assertThat(broken.statusCode()).isEqualTo(400);
        assertThat(TestServer.json(broken).get("error").asText()).contains("not ready", "model.onnx cannot be loaded")
                .doesNotContain(dir.toString(), "onnxruntime", "ONNXRuntimeError", "/");
        HttpResponse<String> drifted = server.get("/v2/models/drifted/ready");
        assertThat(TestServer.json(drifted).get("error").asText()).contains("parity check", "failed")
                .doesNotContain(dir.toString());
        assertThat(server.get("/models").body()).doesNotContain(dir.toString(), "onnxruntime_src");
        assertThat(server.post("/v2/models/drifted/infer", inferBody(0).toString()).statusCode()).isEqualTo(503);
        assertThat(server.get("/metrics").body())
                .contains("dualnet_model_ready{execution_provider=\"none\",model=\"drifted\",parity=\"failed\",version=\"\"} 0.0");
    }

    @Test
    void inferReturnsTheTrainedModelsProbabilities() throws Exception {
        for (int i = 0; i < 5; i++) {
            ObjectNode body = inferBody(i);
            body.put("id", "req-" + i);
            HttpResponse<String> response = server.post("/v2/models/dualnet/infer", body.toString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode json = TestServer.json(response);
            assertThat(json.get("model_name").asText()).isEqualTo("dualnet");
            assertThat(json.get("model_version").asText()).isEqualTo("1");
            assertThat(json.get("id").asText()).isEqualTo("req-" + i);
            JsonNode digit = json.get("outputs").get(0);
            assertThat(digit.get("name").asText()).isEqualTo("digit");
            assertThat(digit.get("shape").toString()).isEqualTo("[1,10]");
            float[] expected = digits.digitProbabilities(i);
            for (int k = 0; k < 10; k++) {
                assertThat((float) digit.get("data").get(k).asDouble()).isCloseTo(expected[k], offset(1e-5f));
            }
        }
    }

    @Test
    void inferHonoursRequestedOutputsAndNestedData() throws Exception {
        ObjectNode body = inferBody(3);
        ArrayNode flat = (ArrayNode) body.get("inputs").get(0).get("data");
        ArrayNode nested = TestServer.mapper().createArrayNode();
        ArrayNode rows = nested.addArray().addArray();
        for (int r = 0; r < 28; r++) {
            ArrayNode row = rows.addArray();
            for (int c = 0; c < 28; c++) {
                row.add(flat.get(r * 28 + c));
            }
        }
        ((ObjectNode) body.get("inputs").get(0)).set("data", nested);
        body.putArray("outputs").addObject().put("name", "sum");
        JsonNode json = TestServer.json(server.post("/v2/models/dualnet/infer", body.toString()));
        assertThat(json.get("outputs")).hasSize(1);
        assertThat(json.get("outputs").get(0).get("name").asText()).isEqualTo("sum");
        assertThat(TestServer.argMax(json.get("outputs").get(0).get("data"))).isEqualTo(digits.expectedSum(3));
    }

    @Test
    void genericModelsServeThroughTheSameEndpoint() throws Exception {
        String body = "{\"inputs\":[{\"name\":\"x\",\"shape\":[2,3],\"datatype\":\"FP32\",\"data\":[1,1,1,2,2,2]},"
                + "{\"name\":\"y\",\"shape\":[2],\"datatype\":\"INT64\",\"data\":[10,20]}]}";
        JsonNode json = TestServer.json(server.post("/v2/models/adder/infer", body));
        assertThat(json.get("outputs").get(0).get("data").toString()).isEqualTo("[11.0,12.0,13.0,22.0,24.0,26.0]");
        HttpResponse<String> predict = server.post("/predict?model=adder", "{\"image\":[],\"number\":1}");
        assertThat(predict.statusCode()).isEqualTo(400);
        assertThat(predict.body()).contains("does not have the dualnet inputs and outputs");
    }

    @Test
    void predictTakesPixelArraysPngsAndLists() throws Exception {
        int i = 7;
        ObjectNode single = TestServer.mapper().createObjectNode();
        single.set("image", TestServer.mapper().valueToTree(digits.image(i)));
        single.put("number", digits.number(i));
        JsonNode result = TestServer.json(server.post("/predict", single.toString()));
        assertThat(result.get("digit").asInt()).isEqualTo(digits.expectedDigit(i));
        assertThat(result.get("sum").asInt()).isEqualTo(digits.expectedSum(i));
        assertThat(result.get("digit_probabilities")).hasSize(10);
        assertThat(result.get("sum_probabilities")).hasSize(19);

        ObjectNode png = TestServer.mapper().createObjectNode();
        png.put("image", Base64.getEncoder().encodeToString(png(digits.image(i))));
        png.put("number", digits.number(i));
        ArrayNode list = TestServer.mapper().createArrayNode().add(single).add(png);
        JsonNode both = TestServer.json(server.post("/predict", list.toString()));
        assertThat(both.get("predictions")).hasSize(2);
        assertThat(both.get("predictions").get(1).get("digit").asInt()).isEqualTo(digits.expectedDigit(i));
    }

    @Test
    void clientMistakesGetAFourHundredSayingWhatWasExpected() throws Exception {
        assertError(server.post("/v2/models/nope/infer", "{}"), 404, "unknown model 'nope'");
        assertError(server.post("/v2/models/dualnet/infer", "{\"inputs\":["), 400, "malformed JSON");
        assertError(server.post("/v2/models/dualnet/infer", "{\"inputs\":[]}"), 400, "non-empty array");
        assertError(server.post("/v2/models/dualnet/infer", replace(0, "image", "datatype", "FP64")), 400,
                "datatype FP64, expected FP32");
        assertError(server.post("/v2/models/dualnet/infer", replace(0, "image", "name", "picture")), 400,
                "unknown input 'picture'");
        assertError(server.post("/v2/models/dualnet/infer", replace(0, "image", "shape", "[1,784]")), 400,
                "expected [-1, 1, 28, 28]");
        assertError(server.post("/v2/models/dualnet/infer", replace(0, "number", "data", "[12]")), 400,
                "number 0 is 12, expected 0..9");
        assertError(server.post("/v2/models/dualnet/infer", replace(0, "number", "data", "[1.5]")), 400,
                "expected an integer");
        assertError(server.post("/v2/models/dualnet/infer", replace(0, "number", "data", "[1,2]")), 400,
                "holds 1 values, data has 2");
        String pixelTooBright = inferBody(0).toString().replaceFirst("\"data\":\\[[^,\\]]+", "\"data\":[2.5");
        assertError(server.post("/v2/models/dualnet/infer", pixelTooBright), 400, "expected a finite value in [0, 1]");
        assertError(server.post("/v2/models/dualnet/infer", "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],"
                + "\"datatype\":\"FP32\",\"data\":[NaN]}]}"), 400, "malformed JSON");
        assertError(server.post("/predict", "{\"image\":\"***\",\"number\":1}"), 400, "not valid base64");
        assertError(server.post("/predict", "{\"image\":\"aGVsbG8=\",\"number\":1}"), 400, "not a PNG or JPEG");
        assertError(server.post("/predict", "{\"image\":[0],\"number\":-1}"), 400, "expected 784");
        // A few bytes an item, 784 floats each once decoded: the count is refused before anything is allocated.
        assertError(server.post("/predict", "[" + "{},".repeat(Routes.MAX_PREDICT_ITEMS) + "{}]"), 400,
                "the list has 1025 items, expected at most 1024 per request");
        assertError(server.post("/predict", new byte[2 << 20]), 413, "larger than");
        assertError(server.get("/nothing/here"), 404, "");
        assertError(server.get("/v2/models/dualnet/infer"), 405, "method GET not allowed on /v2/models/dualnet/infer");
    }

    private static void assertError(HttpResponse<String> response, int status, String message) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(TestServer.json(response).get("error").asText()).contains(message);
    }

    private static String replace(int sample, String input, String field, String rawJson) throws Exception {
        ObjectNode body = inferBody(sample);
        for (JsonNode node : body.get("inputs")) {
            if (node.get("name").asText().equals(input)) {
                ((ObjectNode) node).set(field, TestServer.mapper().readTree(rawJson.startsWith("[") ? rawJson
                        : "\"" + rawJson + "\""));
            }
        }
        return body.toString();
    }

    static ObjectNode inferBody(int i) {
        ObjectNode body = TestServer.mapper().createObjectNode();
        ArrayNode inputs = body.putArray("inputs");
        ObjectNode image = inputs.addObject();
        image.put("name", "image");
        image.putArray("shape").add(1).add(1).add(28).add(28);
        image.put("datatype", "FP32");
        image.set("data", TestServer.mapper().valueToTree(digits.image(i)));
        ObjectNode number = inputs.addObject();
        number.put("name", "number");
        number.putArray("shape").add(1);
        number.put("datatype", "INT64");
        number.putArray("data").add(digits.number(i));
        return body;
    }

    private static byte[] png(float[] pixels) throws Exception {
        BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int p = 0; p < 784; p++) {
            int v = Math.round(255 * pixels[p]);
            image.getRaster().setSample(p % 28, p / 28, 0, v);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
