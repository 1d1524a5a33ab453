package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dualnet.runtime.Float16;
import dev.dualnet.runtime.testing.HalfModel;
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

/** A model that takes and returns float16, served over JSON and binary tensor data. */
class HalfPrecisionInferTest {
    private static final String INFER = "/v2/models/half/infer";
    /** Two rows of four; 65504 and 21844 times 3 are past binary16's largest value, so those outputs are infinite. */
    private static final double[] VALUES = {0.1, -2.5, 1000, 6e-8, 0, 65504, 21844, -0.333};

    @TempDir
    static Path dir;

    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        Path repository = dir.resolve("models");
        HalfModel.writeEntry(repository, "half", HalfModel.config("half"));
        server = TestServer.start(repository, true, 100);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theModelsMetadataSaysFp16() throws Exception {
        JsonNode metadata = TestServer.json(server.get("/v2/models/half"));
        assertThat(metadata.at("/inputs/0/datatype").asText()).isEqualTo("FP16");
        assertThat(metadata.at("/inputs/0/shape").toString()).isEqualTo("[-1,4]");
        assertThat(metadata.at("/outputs/1/datatype").asText()).isEqualTo("FP16");
    }

    @Test
    void jsonNumbersGoInAsBinary16AndComeOutAsTheValuesTheyStandFor() throws Exception {
        ObjectNode body = request();
        ArrayNode data = ((ObjectNode) body.get("inputs").get(0)).putArray("data");
        data.addArray().add(VALUES[0]).add(VALUES[1]).add(VALUES[2]).add(VALUES[3]);
        data.addArray().add(VALUES[4]).add(VALUES[5]).add(VALUES[6]).add(VALUES[7]);

        HttpResponse<String> response = server.post(INFER, body.toString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode outputs = TestServer.json(response).get("outputs");
        JsonNode wide = outputs.get(0);
        JsonNode tripled = outputs.get(1);
        assertThat(wide.get("datatype").asText()).isEqualTo("FP32");
        assertThat(tripled.get("datatype").asText()).isEqualTo("FP16");
        assertThat(tripled.get("shape").toString()).isEqualTo("[2,4]");
        assertThat(tripled.get("data")).hasSize(VALUES.length);
        for (int i = 0; i < VALUES.length; i++) {
            float half = Float16.toFloat(Float16.fromDouble(VALUES[i]));
            assertThat(wide.get("data").get(i).floatValue()).as("wide %d", i).isEqualTo(half);
            float expected = Float16.toFloat(Float16.fromFloat(half * 3));
            if (Float.isInfinite(expected)) {
                assertThat(tripled.get("data").get(i).asText()).as("tripled %d", i).isEqualTo("Infinity");
            } else {
                assertThat(tripled.get("data").get(i).floatValue()).as("tripled %d", i).isEqualTo(expected);
            }
        }
        // 0.1 is no binary16: it goes in as 0.0999755859375 and comes back as that value. Tripled,
        // 0.2999267578125 lies halfway between two binary16 values and goes to the even one.
        assertThat(wide.get("data").get(0).floatValue()).isEqualTo(0.0999755859375f);
        assertThat(tripled.get("data").get(0).asText()).isEqualTo("0.2998047");
    }

    @Test
    void binaryInputsAndOutputsAreTwoLittleEndianBytesAnElement() throws Exception {
        ObjectNode header = request();
        ((ObjectNode) header.get("inputs").get(0)).putObject("parameters").put("binary_data_size", 2 * VALUES.length);
        header.putObject("parameters").put("binary_data_output", true);
        short[] bits = new short[VALUES.length];
        ByteBuffer input = ByteBuffer.allocate(2 * VALUES.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < VALUES.length; i++) {
            bits[i] = Float16.fromDouble(VALUES[i]);
            input.putShort(bits[i]);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(json);
        body.writeBytes(input.array());

        HttpResponse<byte[]> response = server.postWithBinaryData(INFER, body.toByteArray(), json.length);

        assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        int jsonLength = Integer.parseInt(response.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
        JsonNode outputs = TestServer.mapper().readTree(Arrays.copyOf(response.body(), jsonLength)).get("outputs");
        assertThat(outputs.get(0).at("/parameters/binary_data_size").asInt()).isEqualTo(4 * VALUES.length);
        assertThat(outputs.get(1).at("/parameters/binary_data_size").asInt()).isEqualTo(2 * VALUES.length);
        assertThat(response.body()).hasSize(jsonLength + 6 * VALUES.length);
        ByteBuffer out = ByteBuffer.wrap(response.body(), jsonLength, 6 * VALUES.length).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < VALUES.length; i++) {
            assertThat(out.getFloat()).as("wide %d", i).isEqualTo(Float16.toFloat(bits[i]));
        }
        for (int i = 0; i < VALUES.length; i++) {
            assertThat(out.getShort()).as("tripled %d", i).isEqualTo(Float16.fromFloat(Float16.toFloat(bits[i]) * 3));
        }
    }

    @Test
    void aNumberBeyondBinary16sRangeOrNoNumberAtAllIsRefused() throws Exception {
        ObjectNode body = request();
        ((ObjectNode) body.get("inputs").get(0)).putArray("data").add(1).add(2).add(70000).add(4);
        HttpResponse<String> tooLarge = server.post(INFER, body.toString().replace("[2,4]", "[1,4]"));
        assertThat(tooLarge.statusCode()).isEqualTo(400);
        assertThat(TestServer.json(tooLarge).get("error").asText())
                .isEqualTo("inputs[0] value 2 is 70000, outside the FP16 range (-65504..65504)");

        ((ObjectNode) body.get("inputs").get(0)).putArray("data").add(1).add(true).add(3).add(4);
        HttpResponse<String> notANumber = server.post(INFER, body.toString().replace("[2,4]", "[1,4]"));
        assertThat(notANumber.statusCode()).isEqualTo(400);
        assertThat(TestServer.json(notANumber).get("error").asText()).isEqualTo("inputs[0] value 1 is true, expected a number");
    }

    private static ObjectNode request() {
        ObjectNode body = TestServer.mapper().createObjectNode();
        ObjectNode x = body.putArray("inputs").addObject().put("name", HalfModel.INPUT).put("datatype", "FP16");
        x.putArray("shape").add(2).add(4);
        return body;
    }
}
