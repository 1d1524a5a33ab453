package dev.dualnet.server.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.config.TensorSignature;
import dev.dualnet.server.grpc.proto.GrpcService.InferParameter;
import dev.dualnet.server.grpc.proto.GrpcService.InferTensorContents;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferRequest.InferInputTensor;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferRequest.InferRequestedOutputTensor;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferResponse.InferOutputTensor;
import dev.dualnet.server.http.InferenceJson;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ModelInfer's protobuf messages to {@link NamedTensor}s and back. Inputs come as typed contents
 * (the repeated field of their datatype) or as raw little-endian bytes, one entry per input;
 * outputs go back typed unless the request asks for raw data or an output is FP16, which has no
 * typed field. A response carries all its outputs one way, as the protocol requires.
 */
final class InferMessages {
    /** Request parameter: every output in raw_output_contents unless it says otherwise. */
    static final String ALL_OUTPUTS_RAW = "binary_data_output";
    /** Requested-output parameter: this output in raw_output_contents (true) or typed (false). */
    static final String OUTPUT_RAW = "binary_data";

    private InferMessages() {}

    /**
     * A decoded infer request.
     *
     * @param outputs the outputs asked for, in the order asked; empty for all
     * @param rawByDefault whether outputs go back raw unless they say otherwise
     * @param rawByOutput what the outputs that say so asked for: raw (true) or typed (false)
     */
    record Request(String id, List<NamedTensor> inputs, Set<String> outputs, boolean rawByDefault,
            Map<String, Boolean> rawByOutput) {
        Request {
            inputs = List.copyOf(inputs);
            outputs = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(outputs));
            rawByOutput = Map.copyOf(rawByOutput);
        }

        /**
         * Whether the response carries its outputs raw: when any of them asks for it or is FP16.
         *
         * @param modelOutputs the model's outputs, of which those asked for (or all) go back
         * @throws InvalidInputException when one output must go back raw and another asks to be typed
         */
        boolean raw(List<TensorSignature> modelOutputs) {
            String rawOne = null;
            String typedOne = null;
            for (TensorSignature output : modelOutputs) {
                String name = output.name();
                if (!outputs.isEmpty() && !outputs.contains(name)) {
                    continue;
                }
                boolean wantsRaw = rawByOutput.getOrDefault(name, rawByDefault);
                if (wantsRaw || output.type() == ElementType.FP16) {
                    rawOne = rawOne == null ? name : rawOne;
                }
                if (Boolean.FALSE.equals(rawByOutput.get(name))) {
                    typedOne = typedOne == null ? name : typedOne;
                }
            }
            if (rawOne != null && typedOne != null) {
                String why = rawOne.equals(typedOne) ? "it is FP16, which has no typed contents field"
                        : "output '" + rawOne + "' goes back in raw_output_contents";
                throw new InvalidInputException("output '" + typedOne + "' asks for typed contents (" + OUTPUT_RAW
                        + " false) but " + why + "; a response carries all its outputs raw or all typed");
            }
            return rawOne != null;
        }
    }

    /**
     * Decodes a request's inputs and output choices.
     *
     * @throws InvalidInputException naming the field, what it held and what was expected
     */
    static Request decode(ModelInferRequest request) {
        if (request.getInputsCount() == 0) {
            throw new InvalidInputException("inputs must be a non-empty list of {name, datatype, shape, contents}");
        }
        int rawCount = request.getRawInputContentsCount();
        boolean raw = rawCount > 0;
        if (raw) {
            for (int i = 0; i < request.getInputsCount(); i++) {
                if (hasValues(request.getInputs(i).getContents())) {
                    throw new InvalidInputException("inputs[" + i + "] has contents while the request carries "
                            + "raw_input_contents; send every input's data one way: raw_input_contents, one entry "
                            + "per input, or each input's contents");
                }
            }
            if (rawCount != request.getInputsCount()) {
                throw new InvalidInputException("raw_input_contents has " + rawCount + " entries, expected one per "
                        + "input (" + request.getInputsCount() + "), in the order of inputs");
            }
        }
        List<NamedTensor> inputs = new ArrayList<>(request.getInputsCount());
        for (int i = 0; i < request.getInputsCount(); i++) {
            inputs.add(input(request.getInputs(i), "inputs[" + i + "]",
                    raw ? request.getRawInputContents(i) : null, i));
        }
        Set<String> outputs = new LinkedHashSet<>();
        Map<String, Boolean> rawByOutput = new LinkedHashMap<>();
        for (int i = 0; i < request.getOutputsCount(); i++) {
            InferRequestedOutputTensor output = request.getOutputs(i);
            String where = "outputs[" + i + "]";
            if (output.getName().isEmpty()) {
                throw new InvalidInputException(where + ".name must be a non-empty string");
            }
            outputs.add(output.getName());
            InferParameter choice = output.getParametersMap().get(OUTPUT_RAW);
            if (choice != null) {
                rawByOutput.put(output.getName(), flag(choice, where + ".parameters." + OUTPUT_RAW));
            }
        }
        InferParameter allRaw = request.getParametersMap().get(ALL_OUTPUTS_RAW);
        boolean rawByDefault = allRaw != null && flag(allRaw, "parameters." + ALL_OUTPUTS_RAW);
        return new Request(request.getId(), inputs, outputs, rawByDefault, rawByOutput);
    }

    private static boolean flag(InferParameter parameter, String where) {
        if (parameter.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.BOOL_PARAM) {
            throw new InvalidInputException(where + " is " + describe(parameter) + ", expected a bool_param");
        }
        return parameter.getBoolParam();
    }

    private static String describe(InferParameter parameter) {
        return switch (parameter.getParameterChoiceCase()) {
            case BOOL_PARAM -> "bool_param " + parameter.getBoolParam();
            case INT64_PARAM -> "int64_param " + parameter.getInt64Param();
            case STRING_PARAM -> "string_param '" + abbreviate(parameter.getStringParam()) + "'";
            case DOUBLE_PARAM -> "double_param " + parameter.getDoubleParam();
            case UINT64_PARAM -> "uint64_param " + Long.toUnsignedString(parameter.getUint64Param());
            case PARAMETERCHOICE_NOT_SET -> "empty";
        };
    }

    private static NamedTensor input(InferInputTensor input, String where, ByteString raw, int index) {
        if (input.getName().isEmpty()) {
            throw new InvalidInputException(where + ".name must be a non-empty string");
        }
        String named = where + " ('" + abbreviate(input.getName()) + "')";
        if (input.getDatatype().isEmpty()) {
            throw new InvalidInputException(named + " needs a datatype, e.g. FP32");
        }
        ElementType type;
        try {
            type = ElementType.fromProtocolName(input.getDatatype());
        } catch (InvalidInputException e) {
            throw new InvalidInputException(where + ": " + e.getMessage());
        }
        long[] shape = new long[input.getShapeCount()];
        long elements = 1;
        for (int d = 0; d < shape.length; d++) {
            shape[d] = input.getShape(d);
            if (shape[d] < 0) {
                throw new InvalidInputException(where + ".shape[" + d + "] is " + shape[d]
                        + ", expected a non-negative integer");
            }
            elements *= Math.max(shape[d], 1);
            if (elements > InferenceJson.MAX_ELEMENTS) {
                throw new InvalidInputException(where + ".shape holds more than " + InferenceJson.MAX_ELEMENTS
                        + " elements");
            }
        }
        int count = Math.toIntExact(NamedTensor.elementCount(shape));
        Object data = raw != null ? fromRaw(raw, type, count, named, index) : fromContents(input.getContents(), type,
                named);
        int actual = java.lang.reflect.Array.getLength(data);
        if (actual != count) {
            throw new InvalidInputException(named + ": shape " + Arrays.toString(shape) + " holds " + count
                    + " values, contents has " + actual);
        }
        return new NamedTensor(input.getName(), type, shape, data);
    }

    private static Object fromRaw(ByteString raw, ElementType type, int count, String named, int index) {
        long expected = (long) count * type.byteSize();
        if (raw.size() != expected) {
            throw new InvalidInputException(named + ": raw_input_contents[" + index + "] is " + raw.size()
                    + " bytes, expected " + expected + " (" + count + " " + type + " values of " + type.byteSize()
                    + " bytes)");
        }
        ByteBuffer bytes = raw.asReadOnlyByteBuffer();
        try {
            return type.fromLittleEndian(bytes, count);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(named + " " + e.getMessage());
        }
    }

    /** The field each datatype's typed values travel in. */
    private static String field(ElementType type) {
        return switch (type) {
            case BOOL -> "bool_contents";
            case INT8, INT16, INT32 -> "int_contents";
            case INT64 -> "int64_contents";
            case UINT8 -> "uint_contents";
            case FP32 -> "fp32_contents";
            case FP64 -> "fp64_contents";
            case FP16 -> null;
        };
    }

    private static Object fromContents(InferTensorContents contents, ElementType type, String named) {
        String field = field(type);
        if (field == null) {
            throw new InvalidInputException(named + " is " + type + ", which has no typed contents field; send its "
                    + "data in raw_input_contents");
        }
        for (String used : usedFields(contents)) {
            if (!used.equals(field)) {
                throw new InvalidInputException(named + " is " + type + " but carries " + used + "; " + type
                        + " values go in " + field);
            }
        }
        return switch (type) {
            case BOOL -> {
                boolean[] out = new boolean[contents.getBoolContentsCount()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = contents.getBoolContents(i);
                }
                yield out;
            }
            case INT64 -> {
                long[] out = new long[contents.getInt64ContentsCount()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = contents.getInt64Contents(i);
                }
                yield out;
            }
            case INT32 -> {
                int[] out = new int[contents.getIntContentsCount()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = contents.getIntContents(i);
                }
                yield out;
            }
            case INT16 -> {
                short[] out = new short[contents.getIntContentsCount()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (short) inRange(contents.getIntContents(i), Short.MIN_VALUE, Short.MAX_VALUE, type, i, named);
                }
                yield out;
            }
            case INT8 -> {
                byte[] out = new byte[contents.getIntContentsCount()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (byte) inRange(contents.getIntContents(i), Byte.MIN_VALUE, Byte.MAX_VALUE, type, i, named);
                }
                yield out;
            }
            case UINT8 -> {
                byte[] out = new byte[contents.getUintContentsCount()];
                for (int i = 0; i < out.length; i++) {
                    // uint32 arrives in a Java int; its unsigned value is what was sent.
                    out[i] = (byte) inRange(Integer.toUnsignedLong(contents.getUintContents(i)), 0, 255, type, i, named);
                }
                yield out;
            }
            case FP32 -> {
                float[] out = new float[contents.getFp32ContentsCount()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = contents.getFp32Contents(i);
                }
                yield out;
            }
            case FP64 -> {
                double[] out = new double[contents.getFp64ContentsCount()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = contents.getFp64Contents(i);
                }
                yield out;
            }
            case FP16 -> throw new IllegalStateException("FP16 has no typed field");
        };
    }

    private static long inRange(long value, long min, long max, ElementType type, int index, String named) {
        if (value < min || value > max) {
            throw new InvalidInputException(named + " value " + index + " is " + value + ", expected an integer in "
                    + min + ".." + max + " for " + type);
        }
        return value;
    }

    private static List<String> usedFields(InferTensorContents contents) {
        List<String> used = new ArrayList<>();
        if (contents.getBoolContentsCount() > 0) {
            used.add("bool_contents");
        }
        if (contents.getIntContentsCount() > 0) {
            used.add("int_contents");
        }
        if (contents.getInt64ContentsCount() > 0) {
            used.add("int64_contents");
        }
        if (contents.getUintContentsCount() > 0) {
            used.add("uint_contents");
        }
        if (contents.getUint64ContentsCount() > 0) {
            used.add("uint64_contents");
        }
        if (contents.getFp32ContentsCount() > 0) {
            used.add("fp32_contents");
        }
        if (contents.getFp64ContentsCount() > 0) {
            used.add("fp64_contents");
        }
        if (contents.getBytesContentsCount() > 0) {
            used.add("bytes_contents");
        }
        return used;
    }

    private static boolean hasValues(InferTensorContents contents) {
        return !usedFields(contents).isEmpty();
    }

    /**
     * The response to a finished request, its outputs in the order the model returned them.
     *
     * @param raw whether the outputs go in raw_output_contents, as {@link Request#raw} decided
     */
    static ModelInferResponse response(String model, long version, Request request, Map<String, NamedTensor> outputs,
            boolean raw) {
        ModelInferResponse.Builder response = ModelInferResponse.newBuilder()
                .setModelName(model)
                .setModelVersion(Long.toString(version))
                .setId(request.id());
        for (NamedTensor tensor : outputs.values()) {
            InferOutputTensor.Builder output = response.addOutputsBuilder()
                    .setName(tensor.name())
                    .setDatatype(tensor.type().protocolName());
            for (long dim : tensor.shape()) {
                output.addShape(dim);
            }
            if (raw) {
                // The array is new and handed over whole: no copy into the message.
                response.addRawOutputContents(UnsafeByteOperations.unsafeWrap(tensor.type().toLittleEndian(tensor.data())));
            } else {
                output.setContents(contents(tensor));
            }
        }
        return response.build();
    }

    private static InferTensorContents contents(NamedTensor tensor) {
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        switch (tensor.type()) {
            case BOOL -> {
                for (boolean b : (boolean[]) tensor.data()) {
                    contents.addBoolContents(b);
                }
            }
            case INT64 -> {
                for (long v : (long[]) tensor.data()) {
                    contents.addInt64Contents(v);
                }
            }
            case INT32 -> {
                for (int v : (int[]) tensor.data()) {
                    contents.addIntContents(v);
                }
            }
            case INT16 -> {
                for (short v : (short[]) tensor.data()) {
                    contents.addIntContents(v);
                }
            }
            case INT8 -> {
                for (byte v : (byte[]) tensor.data()) {
                    contents.addIntContents(v);
                }
            }
            case UINT8 -> {
                for (byte v : (byte[]) tensor.data()) {
                    contents.addUintContents(Byte.toUnsignedInt(v));
                }
            }
            case FP32 -> {
                for (float v : (float[]) tensor.data()) {
                    contents.addFp32Contents(v);
                }
            }
            case FP64 -> {
                for (double v : (double[]) tensor.data()) {
                    contents.addFp64Contents(v);
                }
            }
            case FP16 -> throw new IllegalStateException("FP16 outputs go back raw");
        }
        return contents.build();
    }

    static String abbreviate(String text) {
        return text.length() > 80 ? text.substring(0, 80) + "..." : text;
    }
}
