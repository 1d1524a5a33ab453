package dev.dualnet.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.Float16;
import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.NamedTensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Open Inference Protocol (KServe v2) JSON for tensors: request inputs to {@link NamedTensor}s and
 * outputs back. Tensor data may be flat or nested row-major arrays in the JSON, or binary after it
 * ({@link BinaryTensors}, the protocol's binary tensor data extension).
 */
public final class InferenceJson {
    /** Largest tensor a request may carry, in elements; the gRPC endpoint holds requests to it too. */
    public static final long MAX_ELEMENTS = 16L << 20;

    private InferenceJson() {}

    /**
     * A parsed infer request.
     *
     * @param outputs the outputs asked for; empty for all
     * @param binaryByDefault whether outputs go back as binary data unless they say otherwise
     * @param binaryByOutput what outputs that say so asked for: binary data (true) or JSON (false)
     */
    public record Request(String id, List<NamedTensor> inputs, Set<String> outputs, boolean binaryByDefault,
            Map<String, Boolean> binaryByOutput) {
        /** Whether the output goes back as binary data. */
        public boolean binary(String output) {
            return binaryByOutput.getOrDefault(output, binaryByDefault);
        }
    }

    /** A response body: JSON, followed by binary output data when {@code jsonLength} is less than its length. */
    public record Body(byte[] bytes, int jsonLength) {
        public boolean hasBinary() {
            return jsonLength < bytes.length;
        }
    }

    /**
     * Parses an infer request body in one streaming pass, without building a tree of the tensor
     * data: the numbers go straight into primitive arrays.
     *
     * @param jsonLengthHeader the {@value BinaryTensors#HEADER_LENGTH} header: how many bytes of
     *     the body are JSON, the rest being binary input data; null when the whole body is JSON
     * @throws ApiException 400 naming the field and what was expected, malformed JSON included
     */
    public static Request parseRequest(ObjectMapper mapper, byte[] body, String jsonLengthHeader) {
        if (body.length == 0) {
            throw ApiException.badRequest("empty body: expected a JSON object with an \"inputs\" array");
        }
        int jsonLength = jsonLength(jsonLengthHeader, body.length);
        BinaryTensors.Section binary = jsonLengthHeader == null ? null : new BinaryTensors.Section(body, jsonLength);
        try (JsonParser parser = mapper.getFactory().createParser(body, 0, jsonLength)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw ApiException.badRequest("request body must be a JSON object with an \"inputs\" array");
            }
            String id = null;
            List<NamedTensor> tensors = null;
            Map<String, Boolean> binaryByOutput = new LinkedHashMap<>();
            boolean binaryByDefault = false;
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
                    case "inputs" -> tensors = parseInputs(mapper, parser, binary);
                    case "outputs" -> parseOutputs(mapper.readTree(parser), binaryByOutput);
                    case "parameters" -> binaryByDefault = flag(parameters(mapper.readTree(parser), "parameters"),
                            BinaryTensors.ALL_OUTPUTS, "parameters", false);
                    default -> parser.skipChildren();
                }
            }
            if (parser.nextToken() != null) {
                throw ApiException.badRequest("malformed JSON: content after the request object");
            }
            if (tensors == null || tensors.isEmpty()) {
                throw ApiException.badRequest("\"inputs\" must be a non-empty array of {name, shape, datatype, data}");
            }
            if (binary != null) {
                binary.requireConsumed();
            }
            Map<String, Boolean> explicit = new LinkedHashMap<>();
            binaryByOutput.forEach((name, choice) -> {
                if (choice != null) {
                    explicit.put(name, choice);
                }
            });
            return new Request(id, tensors, binaryByOutput.keySet(), binaryByDefault, explicit);
        } catch (JsonProcessingException e) {
            throw MalformedJson.of(e);
        } catch (IOException e) {
            throw ApiException.badRequest("unreadable body: expected a JSON object with an \"inputs\" array");
        }
    }

    private static int jsonLength(String header, int bodyLength) {
        if (header == null) {
            return bodyLength;
        }
        try {
            int length = Integer.parseInt(header.strip());
            if (length >= 1 && length <= bodyLength) {
                return length;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ApiException.badRequest(BinaryTensors.HEADER_LENGTH + " is '" + header + "', expected the byte length "
                + "of the JSON at the start of the body (1.." + bodyLength + ")");
    }

    private static List<NamedTensor> parseInputs(ObjectMapper mapper, JsonParser parser, BinaryTensors.Section binary)
            throws IOException {
        if (parser.currentToken() != JsonToken.START_ARRAY) {
            throw ApiException.badRequest("\"inputs\" must be a non-empty array of {name, shape, datatype, data}");
        }
        List<NamedTensor> tensors = new ArrayList<>();
        for (int i = 0; parser.nextToken() != JsonToken.END_ARRAY; i++) {
            tensors.add(parseTensor(mapper, parser, "inputs[" + i + "]", binary));
        }
        return tensors;
    }

    /** Fills {@code outputs} with each requested name and its binary_data choice (null when it has none). */
    private static void parseOutputs(JsonNode requested, Map<String, Boolean> outputs) {
        if (!requested.isArray()) {
            throw ApiException.badRequest("\"outputs\" must be an array of {name}");
        }
        for (int i = 0; i < requested.size(); i++) {
            String where = "outputs[" + i + "]";
            JsonNode name = requested.get(i).get("name");
            if (name == null || !name.isTextual()) {
                throw ApiException.badRequest(where + ".name must be a string");
            }
            JsonNode parameters = parameters(requested.get(i).get("parameters"), where + ".parameters");
            outputs.put(name.asText(), parameters != null && parameters.has(BinaryTensors.OUTPUT)
                    ? flag(parameters, BinaryTensors.OUTPUT, where + ".parameters", false) : null);
        }
    }

    /** @return the parameters object, or null when absent */
    private static JsonNode parameters(JsonNode node, String where) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw ApiException.badRequest(where + " must be an object");
        }
        return node;
    }

    private static boolean flag(JsonNode parameters, String name, String where, boolean absent) {
        JsonNode value = parameters == null ? null : parameters.get(name);
        if (value == null) {
            return absent;
        }
        if (!value.isBoolean()) {
            throw ApiException.badRequest(where + "." + name + " is " + value + ", expected true or false");
        }
        return value.asBoolean();
    }

    private static NamedTensor parseTensor(ObjectMapper mapper, JsonParser parser, String where,
            BinaryTensors.Section binary) throws IOException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw ApiException.badRequest(where + " must be an object {name, shape, datatype, data}");
        }
        String name = null;
        ElementType type = null;
        long[] shape = null;
        Object data = null;
        JsonNode pendingData = null;
        Long binarySize = null;
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
                case "parameters" -> binarySize = binarySize(parameters(mapper.readTree(parser), where + ".parameters"),
                        where);
                default -> parser.skipChildren();
            }
        }
        boolean hasData = data != null || pendingData != null;
        if (binarySize != null) {
            if (hasData) {
                throw ApiException.badRequest(where + " has both data and " + BinaryTensors.SIZE + "; expected one");
            }
            if (binary == null) {
                throw ApiException.badRequest(where + " has " + BinaryTensors.SIZE + " but the request has no "
                        + BinaryTensors.HEADER_LENGTH + " header saying where its JSON ends");
            }
        }
        if (name == null || type == null || shape == null || (!hasData && binarySize == null)) {
            throw ApiException.badRequest(where + " needs name, shape, datatype and data (or "
                    + BinaryTensors.SIZE + ")");
        }
        if (binarySize != null) {
            data = binary.next(where + " ('" + name + "')", type, NamedTensor.elementCount(shape), binarySize);
        } else if (data == null) {
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

    private static Long binarySize(JsonNode parameters, String where) {
        JsonNode size = parameters == null ? null : parameters.get(BinaryTensors.SIZE);
        if (size == null) {
            return null;
        }
        if (!size.isIntegralNumber() || !size.canConvertToLong() || size.asLong() < 0) {
            throw ApiException.badRequest(where + ".parameters." + BinaryTensors.SIZE + " is " + size
                    + ", expected a non-negative integer");
        }
        return size.asLong();
    }

    private static long[] shape(JsonNode shapeNode, String where) {
        if (shapeNode == null || !shapeNode.isArray()) {
            throw ApiException.badRequest(where + ".shape must be an array of non-negative integers");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int d = 0; d < shape.length; d++) {
            JsonNode dim = shapeNode.get(d);
            // canConvertToLong: a dimension past 2^63 would otherwise wrap into a small one.
            if (!dim.canConvertToExactIntegral() || !dim.canConvertToLong() || dim.asLong() < 0) {
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
        private short[] halves = new short[16];
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
                case FP16 -> {
                    if (token != JsonToken.VALUE_NUMBER_INT && token != JsonToken.VALUE_NUMBER_FLOAT) {
                        throw ApiException.badRequest(where + " value " + size + " is " + parser.getText()
                                + ", expected a number");
                    }
                    // FP16 data in JSON are numbers; the tensor holds their nearest binary16, rounded once.
                    short half;
                    try {
                        half = Float16.fromDecimal(parser.getDoubleValue(), () -> decimal(parser));
                    } catch (java.io.UncheckedIOException e) {
                        throw e.getCause();
                    }
                    if (!Float16.isFinite(half)) {
                        throw ApiException.badRequest(where + " value " + size + " is " + parser.getText()
                                + ", outside the FP16 range (-65504..65504)");
                    }
                    if (size == halves.length) {
                        halves = java.util.Arrays.copyOf(halves, size * 2);
                    }
                    halves[size++] = half;
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
                case FP16 -> java.util.Arrays.copyOf(halves, size);
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

    /** The exact value of the number the parser is on; {@link Values#add} unwraps the failure. */
    private static java.math.BigDecimal decimal(JsonParser parser) {
        try {
            return parser.getDecimalValue();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String text(JsonParser parser, JsonToken value, String where) throws IOException {
        if (value != JsonToken.VALUE_STRING || parser.getText().isEmpty()) {
            throw ApiException.badRequest(where + " must be a non-empty string");
        }
        return parser.getText();
    }


    /**
     * Writes the response body of an infer call, streaming the tensor data; outputs the request
     * asked for as binary follow the JSON in its order of outputs.
     *
     * @throws IOException only if the mapper cannot write to memory
     */
    public static Body response(ObjectMapper mapper, String model, long version, Request request,
            Map<String, NamedTensor> outputs) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(8192);
        List<byte[]> binary = new ArrayList<>();
        String id = request.id();
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
                if (request.binary(tensor.name())) {
                    byte[] data = tensor.type().toLittleEndian(tensor.data());
                    binary.add(data);
                    out.writeObjectFieldStart("parameters");
                    out.writeNumberField(BinaryTensors.SIZE, data.length);
                    out.writeEndObject();
                } else if (tensor.type() == ElementType.FP16) {
                    // JSON carries FP16 data as numbers: the values the binary16 bits stand for.
                    out.writeFieldName("data");
                    out.writeStartArray();
                    for (short half : (short[]) tensor.data()) {
                        out.writeNumber(Float16.toFloat(half));
                    }
                    out.writeEndArray();
                } else {
                    out.writeFieldName("data");
                    mapper.writeValue(out, tensor.data());
                }
                out.writeEndObject();
            }
            out.writeEndArray();
            out.writeEndObject();
        }
        int jsonLength = bytes.size();
        for (byte[] data : binary) {
            bytes.write(data);
        }
        return new Body(bytes.toByteArray(), jsonLength);
    }
}
