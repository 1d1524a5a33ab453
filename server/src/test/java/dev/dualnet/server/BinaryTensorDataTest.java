package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Open Inference Protocol's binary tensor data extension, as Triton's HTTP clients use it by
 * default: binary inputs after the JSON, and binary outputs when asked for.
 */
class BinaryTensorDataTest {
    @TempDir
    static Path dir;

    static TestServer server;
    static Digits digits;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(TestServer.repository(dir), true, 500);
        digits = Digits.load();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void serverMetadataListsTheExtension() throws Exception {
        assertThat(TestServer.json(server.get("/v2")).get("extensions").toString()).contains("\"binary_tensor_data\"");
    }

    @Test
    void binaryInputsAndOutputsGiveTheSameProbabilitiesAsJson() throws Exception {
        int n = 3;
        ObjectNode header = header(n, true, true);
        header.putObject("parameters").put("binary_data_output", true);
        HttpResponse<byte[]> response = post(header, images(0, n), numbers(0, n));
        assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
        int jsonLength = Integer.parseInt(response.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
        JsonNode json = TestServer.mapper().readTree(Arrays.copyOf(response.body(), jsonLength));
        JsonNode digit = json.get("outputs").get(0);
        JsonNode sum = json.get("outputs").get(1);
        assertThat(digit.get("name").asText()).isEqualTo("digit");
        assertThat(digit.has("data")).isFalse();
        assertThat(digit.get("parameters").get("binary_data_size").asInt()).isEqualTo(n * 10 * 4);
        assertThat(sum.get("parameters").get("binary_data_size").asInt()).isEqualTo(n * 19 * 4);
        assertThat(response.body()).hasSize(jsonLength + n * 29 * 4);
        float[] digitProbabilities = floats(response.body(), jsonLength, n * 10);
        float[] sumProbabilities = floats(response.body(), jsonLength + n * 10 * 4, n * 19);

        JsonNode viaJson = TestServer.json(server.post("/v2/models/dualnet/infer", jsonBody(0, n).toString()));
        for (int i = 0; i < n * 10; i++) {
            assertThat(digitProbabilities[i]).isEqualTo(viaJson.get("outputs").get(0).get("data").get(i).floatValue());
        }
        for (int i = 0; i < n * 19; i++) {
            assertThat(sumProbabilities[i]).isEqualTo(viaJson.get("outputs").get(1).get("data").get(i).floatValue());
        }
        for (int s = 0; s < n; s++) {
            assertThat(digitProbabilities[s * 10 + digits.expectedDigit(s)])
                    .isCloseTo(digits.digitProbabilities(s)[digits.expectedDigit(s)], within(1e-5f));
        }
    }

    @Test
    void outputsChooseJsonOrBinaryOneByOne() throws Exception {
        ObjectNode header = header(1, true, false);
        header.putObject("parameters").put("binary_data_output", true);
        ArrayNode outputs = header.putArray("outputs");
        outputs.addObject().put("name", "sum").putObject("parameters").put("binary_data", false);
        HttpResponse<byte[]> response = post(header, images(0, 1), new byte[0]);
        assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(response.headers().firstValue("Inference-Header-Content-Length")).isEmpty();
        JsonNode json = TestServer.mapper().readTree(response.body());
        assertThat(json.get("outputs")).hasSize(1);
        assertThat(json.get("outputs").get(0).get("data")).hasSize(19);
        assertThat(TestServer.argMax(json.get("outputs").get(0).get("data"))).isEqualTo(digits.expectedSum(0));
    }

    @Test
    void mistakesInTheBinaryLayoutAreFourHundredsSayingWhatWasExpected() throws Exception {
        ObjectNode header = header(1, true, true);
        assertError(post(header, images(0, 1), numbers(0, 1), new byte[4]), "4 bytes of binary data follow the JSON");
        assertError(post(header, images(0, 1), Arrays.copyOf(numbers(0, 1), 4)),
                "binary_data_size is 8 but only 4 bytes of binary data are left");
        ((ObjectNode) header.get("inputs").get(0).get("parameters")).put("binary_data_size", 100);
        assertError(post(header, images(0, 1), numbers(0, 1)), "binary_data_size is 100, expected 3136");

        ObjectNode both = header(1, true, true);
        ((ObjectNode) both.get("inputs").get(1)).putArray("data").add(1);
        assertError(post(both, images(0, 1), numbers(0, 1)), "has both data and binary_data_size");

        byte[] json = header(1, true, true).toString().getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> noHeader = server.post("/v2/models/dualnet/infer", concat(json, images(0, 1), numbers(0, 1)));
        assertThat(noHeader.statusCode()).isEqualTo(400);
        assertThat(noHeader.body()).contains("binary_data_size but the request has no Inference-Header-Content-Length");
        HttpResponse<byte[]> tooLong = server.postWithBinaryData("/v2/models/dualnet/infer", json, json.length + 1);
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(new String(tooLong.body(), StandardCharsets.UTF_8))
                .contains("Inference-Header-Content-Length is '" + (json.length + 1) + "'");
    }

    private static void assertError(HttpResponse<byte[]> response, String message) throws Exception {
        String body = new String(response.body(), StandardCharsets.UTF_8);
        assertThat(response.statusCode()).as(body).isEqualTo(400);
        assertThat(TestServer.mapper().readTree(body).get("error").asText()).contains(message);
    }

    /** An infer request whose image (and number) inputs are declared binary. */
    private static ObjectNode header(int n, boolean binaryImage, boolean binaryNumber) {
        ObjectNode body = TestServer.mapper().createObjectNode();
        ArrayNode inputs = body.putArray("inputs");
        ObjectNode image = inputs.addObject().put("name", "image").put("datatype", "FP32");
        image.putArray("shape").add(n).add(1).add(28).add(28);
        ObjectNode number = inputs.addObject().put("name", "number").put("datatype", "INT64");
        number.putArray("shape").add(n);
        if (binaryImage) {
            image.putObject("parameters").put("binary_data_size", n * 784 * 4);
        }
        if (binaryNumber) {
            number.putObject("parameters").put("binary_data_size", n * 8);
        } else {
            ArrayNode data = number.putArray("data");
            for (int i = 0; i < n; i++) {
                data.add(digits.number(i));
            }
        }
        return body;
    }

    private static ObjectNode jsonBody(int from, int n) {
        ObjectNode body = header(n, false, false);
        ArrayNode pixels = ((ObjectNode) body.get("inputs").get(0)).putArray("data");
        for (int i = from; i < from + n; i++) {
            for (float p : digits.image(i)) {
                pixels.add(p);
            }
        }
        return body;
    }

    private static HttpResponse<byte[]> post(ObjectNode header, byte[]... binary) throws Exception {
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        byte[][] parts = new byte[binary.length + 1][];
        parts[0] = json;
        System.arraycopy(binary, 0, parts, 1, binary.length);
        return server.postWithBinaryData("/v2/models/dualnet/infer", concat(parts), json.length);
    }

    private static byte[] images(int from, int n) {
        ByteBuffer out = ByteBuffer.allocate(n * 784 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = from; i < from + n; i++) {
            for (float p : digits.image(i)) {
                out.putFloat(p);
            }
        }
        return out.array();
    }

    private static byte[] numbers(int from, int n) {
        ByteBuffer out = ByteBuffer.allocate(n * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = from; i < from + n; i++) {
            out.putLong(digits.number(i));
        }
        return out.array();
    }

    private static float[] floats(byte[] body, int offset, int count) {
        float[] out = new float[count];
        ByteBuffer.wrap(body, offset, count * 4).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
