package dev.dualnet.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.NamedTensor;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Open Inference Protocol (KServe v2) JSON for tensors: request inputs to {@link NamedTensor}s and
 * outputs back. Tensor data may be flat or nested row-major arrays.
 */
public final class InferenceJson {
    /** Largest tensor a request may carry, in elements. */
    static final long MAX_ELEMENTS = 16L << 20;

    private InferenceJson() {}

    /** A parsed infer request. */
    public record Request(String id, List<NamedTensor> inputs, Set<String> outputs) {}

    /**
     * @throws ApiException 400 naming the field and what was expected
     */
    public static Request parseRequest(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.badRequest("request body must be a JSON object with an \"inputs\" array");
        }
        JsonNode id = body.get("id");
        if (id != null && !id.isTextual()) {
            throw ApiException.badRequest("\"id\" must be a string");
        }
        JsonNode inputs = body.get("inputs");
        if (inputs == null || !inputs.isArray() || inputs.isEmpty()) {
            throw ApiException.badRequest("\"inputs\" must be a non-empty array of {name, shape, datatype, data}");
        }
        List<NamedTensor> tensors = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            tensors.add(parseTensor(inputs.get(i), "inputs[" + i + "]"));
        }
        Set<String> outputs = new LinkedHashSet<>();
        JsonNode requested = body.get("outputs");
        if (requested != null) {
            if (!requested.isArray()) {
                throw ApiException.badRequest("\"outputs\" must be an array of {name}");
            }
            for (int i = 0; i < requested.size(); i++) {
                JsonNode name = requested.get(i).get("name");
                if (name == null || !name.isTextual()) {
                    throw ApiException.badRequest("outputs[" + i + "].name must be a string");
                }
                outputs.add(name.asText());
            }
        }
        return new Request(id == null ? null : id.asText(), tensors, outputs);
    }

    private static NamedTensor parseTensor(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest(where + " must be an object {name, shape, datatype, data}");
        }
        String name = text(node, "name", where);
        ElementType type;
        try {
            type = ElementType.fromProtocolName(text(node, "datatype", where));
        } catch (InvalidInputException e) {
            throw ApiException.badRequest(where + ": " + e.getMessage());
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw ApiException.badRequest(where + ".shape must be an array of non-negative integers");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int d = 0; d < shape.length; d++) {
            JsonNode dim = shapeNode.get(d);
            if (!dim.canConvertToExactIntegral() || dim.asLong() < 0) {
                throw ApiException.badRequest(where + ".shape[" + d + "] is " + dim + ", expected a non-negative integer");
            }
            shape[d] = dim.asLong();
            elements *= Math.max(shape[d], 1);
            if (elements > MAX_ELEMENTS) {
                throw ApiException.badRequest(where + ".shape holds more than " + MAX_ELEMENTS + " elements");
            }
        }
        JsonNode data = node.get("data");
        if (data == null || !data.isArray()) {
            throw ApiException.badRequest(where + ".data must be an array");
        }
        List<JsonNode> values = new ArrayList<>();
        flatten(data, values, where + ".data");
        long expected = NamedTensor.elementCount(shape);
        if (values.size() != expected) {
            throw ApiException.badRequest(where + " ('" + name + "'): shape " + java.util.Arrays.toString(shape)
                    + " holds " + expected + " values, data has " + values.size());
        }
        return new NamedTensor(name, type, shape, convert(values, type, where + " ('" + name + "')"));
    }

    private static void flatten(JsonNode node, List<JsonNode> out, String where) {
        for (JsonNode child : node) {
            if (child.isArray()) {
                flatten(child, out, where);
            } else {
                out.add(child);
                if (out.size() > MAX_ELEMENTS) {
                    throw ApiException.badRequest(where + " has more than " + MAX_ELEMENTS + " values");
                }
            }
        }
    }

    private static Object convert(List<JsonNode> values, ElementType type, String where) {
        int n = values.size();
        switch (type) {
            case FP32 -> {
                float[] out = new float[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (float) number(values.get(i), where, i);
                    if (!Float.isFinite(out[i])) {
                        throw ApiException.badRequest(where + " value " + i + " is outside the FP32 range");
                    }
                }
                return out;
            }
            case FP64 -> {
                double[] out = new double[n];
                for (int i = 0; i < n; i++) {
                    out[i] = number(values.get(i), where, i);
                }
                return out;
            }
            case BOOL -> {
                boolean[] out = new boolean[n];
                for (int i = 0; i < n; i++) {
                    if (!values.get(i).isBoolean()) {
                        throw ApiException.badRequest(where + " value " + i + " is " + values.get(i) + ", expected true or false");
                    }
                    out[i] = values.get(i).asBoolean();
                }
                return out;
            }
            default -> {
                long min = switch (type) {
                    case INT8 -> Byte.MIN_VALUE;
                    case UINT8 -> 0;
                    case INT16 -> Short.MIN_VALUE;
                    case INT32 -> Integer.MIN_VALUE;
                    default -> Long.MIN_VALUE;
                };
                long max = switch (type) {
                    case INT8 -> Byte.MAX_VALUE;
                    case UINT8 -> 255;
                    case INT16 -> Short.MAX_VALUE;
                    case INT32 -> Integer.MAX_VALUE;
                    default -> Long.MAX_VALUE;
                };
                long[] longs = new long[n];
                for (int i = 0; i < n; i++) {
                    JsonNode v = values.get(i);
                    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
                        throw ApiException.badRequest(where + " value " + i + " is " + v + ", expected an integer in "
                                + min + ".." + max + " for " + type);
                    }
                    longs[i] = v.asLong();
                }
                return switch (type) {
                    case INT64 -> longs;
                    case INT32 -> {
                        int[] out = new int[n];
                        for (int i = 0; i < n; i++) {
                            out[i] = (int) longs[i];
                        }
                        yield out;
                    }
                    case INT16 -> {
                        short[] out = new short[n];
                        for (int i = 0; i < n; i++) {
                            out[i] = (short) longs[i];
                        }
                        yield out;
                    }
                    default -> {
                        byte[] out = new byte[n];
                        for (int i = 0; i < n; i++) {
                            out[i] = (byte) longs[i];
                        }
                        yield out;
                    }
                };
            }
        }
    }

    private static double number(JsonNode value, String where, int index) {
        if (!value.isNumber()) {
            throw ApiException.badRequest(where + " value " + index + " is " + value + ", expected a number");
        }
        double d = value.asDouble();
        if (!Double.isFinite(d)) {
            throw ApiException.badRequest(where + " value " + index + " is not finite");
        }
        return d;
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw ApiException.badRequest(where + "." + field + " must be a non-empty string");
        }
        return value.asText();
    }

    /** The response body for an infer call. */
    public static ObjectNode response(ObjectMapper mapper, String model, long version, String id,
            Map<String, NamedTensor> outputs) {
        ObjectNode body = mapper.createObjectNode();
        body.put("model_name", model);
        body.put("model_version", Long.toString(version));
        if (id != null) {
            body.put("id", id);
        }
        ArrayNode list = body.putArray("outputs");
        for (NamedTensor tensor : outputs.values()) {
            ObjectNode out = list.addObject();
            out.put("name", tensor.name());
            ArrayNode shape = out.putArray("shape");
            for (long dim : tensor.shape()) {
                shape.add(dim);
            }
            out.put("datatype", tensor.type().protocolName());
            out.set("data", mapper.valueToTree(tensor.data()));
        }
        return body;
    }
}
