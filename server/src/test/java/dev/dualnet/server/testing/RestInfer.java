package dev.dualnet.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dualnet.runtime.NamedTensor;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP answer to an infer request, for tests that hold another protocol's answers against it:
 * the JSON body, or every output as binary tensor data (exact bits both ways).
 */
public final class RestInfer {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private RestInfer() {}

    /** Posts the inputs as JSON numbers and returns the response, whatever its status. */
    public static HttpResponse<String> json(TestServer server, String model, List<NamedTensor> inputs) throws Exception {
        ObjectNode body = TestServer.mapper().createObjectNode();
        ArrayNode tensors = body.putArray("inputs");
        for (NamedTensor tensor : inputs) {
            ObjectNode input = header(tensors, tensor);
            input.set("data", TestServer.mapper().valueToTree(tensor.data()));
        }
        return server.post("/v2/models/" + model + "/infer", body.toString());
    }

    /**
     * Posts the inputs as binary tensor data, asking for every output binary.
     *
     * @return each output's little-endian bytes by name, in the response's order
     * @throws AssertionError when the server does not answer 200
     */
    public static Map<String, byte[]> binary(TestServer server, String model, List<NamedTensor> inputs)
            throws Exception {
        return binary(server.uri(""), model, inputs);
    }

    /**
     * The same against the server at {@code base} (such as {@code http://127.0.0.1:8080}), one that
     * runs in another process.
     */
    public static Map<String, byte[]> binary(URI base, String model, List<NamedTensor> inputs) throws Exception {
        ObjectNode header = TestServer.mapper().createObjectNode();
        ArrayNode tensors = header.putArray("inputs");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (NamedTensor tensor : inputs) {
            byte[] bytes = tensor.type().toLittleEndian(tensor.data());
            header(tensors, tensor).putObject("parameters").put("binary_data_size", bytes.length);
            data.write(bytes);
        }
        header.putObject("parameters").put("binary_data_output", true);
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(json);
        data.writeTo(body);
        HttpResponse<byte[]> response = CLIENT.send(HttpRequest.newBuilder(
                        base.resolve("/v2/models/" + model + "/infer"))
                .header("Inference-Header-Content-Length", Integer.toString(json.length))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new AssertionError("HTTP " + response.statusCode() + ": "
                    + new String(response.body(), StandardCharsets.UTF_8));
        }
        int jsonLength = Integer.parseInt(response.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
        JsonNode answer = TestServer.mapper().readTree(Arrays.copyOf(response.body(), jsonLength));
        Map<String, byte[]> outputs = new LinkedHashMap<>();
        int at = jsonLength;
        for (JsonNode output : answer.get("outputs")) {
            int size = output.get("parameters").get("binary_data_size").asInt();
            outputs.put(output.get("name").asText(), Arrays.copyOfRange(response.body(), at, at + size));
            at += size;
        }
        return outputs;
    }

    private static ObjectNode header(ArrayNode tensors, NamedTensor tensor) {
        ObjectNode input = tensors.addObject();
        input.put("name", tensor.name());
        ArrayNode shape = input.putArray("shape");
        for (long dim : tensor.shape()) {
            shape.add(dim);
        }
        input.put("datatype", tensor.type().protocolName());
        return input;
    }
}
