package dev.dualnet.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.NamedTensor;
import java.io.IOException;
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
     * Parses an infer request body in one streaming pass, without building a tree of the tensor
     * data: the numbers go straight into primitive arrays.
     *
     * @throws ApiException 400 naming the field and what was expected, malformed JSON included
     */
    public static Request parseRequest(ObjectMapper mapper, byte[] body) {
        if (body.length == 0) {
            throw ApiException.badRequest("empty body: expected a JSON object with an \"inputs\" array");
        }
        try (JsonParser parser = mapper.getFactory().createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw ApiException.badRequest("request body must be a JSON object with an \"inputs\" array");
            }
            String id = null;
            List<NamedTensor> tensors = null;
            Set<String> outputs = new LinkedHashSet<>();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (field) {
                    case "id" -> {
                        if (value != JsonToken.VALUE_STRING) {
                            throw ApiException.badRequest("\"id\" must be a string");
                        }
                        id = parser.getText();
                    }
                    case "inputs" -> tensors = parseInputs(mapper, parser);
                    case "outputs" -> parseOutputs(mapper.readTree(parser), outputs);
                    default -> parser.skipChildren();
                }
            }
            if (parser.nextToken() != null) {
                throw ApiException.badRequest("malformed JSON: content after the request object");
            }
            if (tensors == null || tensors.isEmpty()) {
                throw ApiException.badRequest("\"inputs\" must be a non-empty array of {name, shape, datatype, data}");
            }
            return new Request(id, tensors, outputs);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("malformed JSON: " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw ApiException.badRequest("unreadable body: " + e.getMessage());
        }
    }

    private static List<NamedTensor> parseInputs(ObjectMapper mapper, JsonParser parser) throws IOException {
        if (parser.currentToken() != JsonToken.START_ARRAY) {
            throw ApiException.badRequest("\"inputs\" must be a non-empty array of {name, shape, datatype, data}");
        }
        List<NamedTensor> tensors = new ArrayList<>();
        for (int i = 0; parser.nextToken() != JsonToken.END_ARRAY; i++) {
            tensors.add(parseTensor(mapper, parser, "inputs[" + i + "]"));
        }
        return tensors;
    }

    private static void parseOutputs(JsonNode requested, Set<String> outputs) {
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

    private static NamedTensor parseTensor(ObjectMapper mapper, JsonParser parser, String where) throws IOException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw ApiException.badRequest(where + " must be an object {name, shape, datatype, data}");
        }
        String name = null;
        ElementType type = null;
        long[] shape = null;
        Object data = null;
        JsonNode pendingData = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (field) {
                case "name" -> name = text(parser, value, where + ".name");
                case "datatype" -> {
                    try {
                        type = ElementType.fromProtocolName(text(parser, value, where + ".datatype"));
                    } catch (InvalidInputException e) {
                        throw ApiException.badRequest(where + ": " + e.getMessage());
                    }
                }
                case "shape" -> shape = shape(mapper.readTree(parser), where);
                case "data" -> {
                    if (value != JsonToken.START_ARRAY) {
                        throw ApiException.badRequest(where + ".data must be an array");
                    }
                    if (type != null) {
                        data = values(parser, type, where);
                    } else {
                        pendingData = mapper.readTree(parser); // datatype comes later: read it once that is known
                    }
                }
                default -> parser.skipChildren();
            }
        }
        if (name == null || type == null || shape == null || (data == null && pendingData == null)) {
            throw ApiException.badRequest(where + " needs name, shape, datatype and data");
        }
        if (data == null) {
            try (JsonParser replay = pendingData.traverse(mapper)) {
                replay.nextToken();
                data = values(replay, type, where);
            }
        }
        long expected = NamedTensor.elementCount(shape);
        int actual = java.lang.reflect.Array.getLength(data);
        if (actual != expected) {
            throw ApiException.badRequest(where + " ('" + name + "'): shape " + java.util.Arrays.toString(shape)
                    + " holds " + expected + " values, data has " + actual);
        }
        return new NamedTensor(name, type, shape, data);
    }

    private static long[] shape(JsonNode shapeNode, String where) {
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
        return shape;
    }

    /** Reads a flat or nested array of values of one type; the parser is on its START_ARRAY. */
    private static Object values(JsonParser parser, ElementType type, String where) throws IOException {
        if (type == ElementType.FP32) {
            return floats(parser, where);
        }
        Values out = new Values(type, where);
        int depth = 1;
        while (depth > 0) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                throw ApiException.badRequest("malformed JSON: " + where + ".data ends early");
            }
            switch (token) {
                case START_ARRAY -> depth++;
                case END_ARRAY -> depth--;
                default -> out.add(parser, token);
            }
        }
        return out.array();
    }

    /** The common case, FP32 tensors such as images, in a tight loop straight into a float array. */
    private static float[] floats(JsonParser parser, String where) throws IOException {
        float[] out = new float[1024];
        int size = 0;
        int depth = 1;
        while (depth > 0) {
            JsonToken token = parser.nextToken();
            if (token == JsonToken.VALUE_NUMBER_FLOAT || token == JsonToken.VALUE_NUMBER_INT) {
                double d = DecimalLiterals.parse(parser.getTextCharacters(), parser.getTextOffset(),
                        parser.getTextLength());
                if (Double.isNaN(d)) {
                    d = parser.getDoubleValue();
                }
                float f = (float) d;
                if (!Float.isFinite(f)) {
                    throw ApiException.badRequest(where + " value " + size + " is outside the FP32 range");
                }
                if (size == out.length) {
                    if (size >= MAX_ELEMENTS) {
                        throw ApiException.badRequest(where + ".data has more than " + MAX_ELEMENTS + " values");
                    }
                    out = java.util.Arrays.copyOf(out, size * 2);
                }
                out[size++] = f;
            } else if (token == JsonToken.START_ARRAY) {
                depth++;
            } else if (token == JsonToken.END_ARRAY) {
                depth--;
            } else if (token == null) {
                throw ApiException.badRequest("malformed JSON: " + where + ".data ends early");
            } else {
                throw ApiException.badRequest(where + " value " + size + " is " + parser.getText() + ", expected a number");
            }
        }
        return size == out.length ? out : java.util.Arrays.copyOf(out, size);
    }

    /** A growing primitive array of one element type other than FP32, checking each value as it comes. */
    private static final class Values {
        private final ElementType type;
        private final String where;
        private double[] reals = new double[1024];
        private long[] integers = new long[1024];
        private boolean[] booleans = new boolean[16];
        private int size;

        Values(ElementType type, String where) {
            this.type = type;
            this.where = where;
        }

        void add(JsonParser parser, JsonToken token) throws IOException {
            if (size >= MAX_ELEMENTS) {
                throw ApiException.badRequest(where + ".data has more than " + MAX_ELEMENTS + " values");
            }
            switch (type) {
                case FP64 -> {
                    if (token != JsonToken.VALUE_NUMBER_INT && token != JsonToken.VALUE_NUMBER_FLOAT) {
                        throw ApiException.badRequest(where + " value " + size + " is " + parser.getText()
                                + ", expected a number");
                    }
                    double d = parser.getDoubleValue();
                    if (!Double.isFinite(d)) {
                        throw ApiException.badRequest(where + " value " + size + " is outside the " + type + " range");
                    }
                    if (size == reals.length) {
                        reals = java.util.Arrays.copyOf(reals, size * 2);
                    }
                    reals[size++] = d;
                }
                case BOOL -> {
                    if (token != JsonToken.VALUE_TRUE && token != JsonToken.VALUE_FALSE) {
                        throw ApiException.badRequest(where + " value " + size + " is " + parser.getText()
                                + ", expected true or false");
                    }
                    if (size == booleans.length) {
                        booleans = java.util.Arrays.copyOf(booleans, size * 2);
                    }
                    booleans[size++] = token == JsonToken.VALUE_TRUE;
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
                    boolean integral = token == JsonToken.VALUE_NUMBER_INT
                            && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER;
                    long v = integral ? parser.getLongValue() : 0;
                    if (!integral || v < min || v > max) {
                        throw ApiException.badRequest(where + " value " + size + " is " + parser.getText()
                                + ", expected an integer in " + min + ".." + max + " for " + type);
                    }
                    if (size == integers.length) {
                        integers = java.util.Arrays.copyOf(integers, size * 2);
                    }
                    integers[size++] = v;
                }
            }
        }

        Object array() {
            return switch (type) {
                case FP64 -> java.util.Arrays.copyOf(reals, size);
                case BOOL -> java.util.Arrays.copyOf(booleans, size);
                case INT64 -> java.util.Arrays.copyOf(integers, size);
                case INT32 -> {
                    int[] out = new int[size];
                    for (int i = 0; i < size; i++) {
                        out[i] = (int) integers[i];
                    }
                    yield out;
                }
                case INT16 -> {
                    short[] out = new short[size];
                    for (int i = 0; i < size; i++) {
                        out[i] = (short) integers[i];
                    }
                    yield out;
                }
                default -> {
                    byte[] out = new byte[size];
                    for (int i = 0; i < size; i++) {
                        out[i] = (byte) integers[i];
                    }
                    yield out;
                }
            };
        }
    }

    private static String text(JsonParser parser, JsonToken value, String where) throws IOException {
        if (value != JsonToken.VALUE_STRING || parser.getText().isEmpty()) {
            throw ApiException.badRequest(where + " must be a non-empty string");
        }
        return parser.getText();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    /**
     * Writes the response body of an infer call, streaming the tensor data.
     *
     * @throws IOException only if the mapper cannot write to memory
     */
    public static byte[] response(ObjectMapper mapper, String model, long version, String id,
            Map<String, NamedTensor> outputs) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(8192);
        try (JsonGenerator out = mapper.getFactory().createGenerator(bytes)) {
            out.writeStartObject();
            out.writeStringField("model_name", model);
            out.writeStringField("model_version", Long.toString(version));
            if (id != null) {
                out.writeStringField("id", id);
            }
            out.writeArrayFieldStart("outputs");
            for (NamedTensor tensor : outputs.values()) {
                out.writeStartObject();
                out.writeStringField("name", tensor.name());
                out.writeArrayFieldStart("shape");
                for (long dim : tensor.shape()) {
                    out.writeNumber(dim);
                }
                out.writeEndArray();
                out.writeStringField("datatype", tensor.type().protocolName());
                out.writeFieldName("data");
                mapper.writeValue(out, tensor.data());
                out.writeEndObject();
            }
            out.writeEndArray();
            out.writeEndObject();
        }
        return bytes.toByteArray();
    }
}
