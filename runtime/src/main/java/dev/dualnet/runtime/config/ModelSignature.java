package dev.dualnet.runtime.config;

import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.ModelLoadException;
import dev.dualnet.runtime.TensorSpec;
import dev.dualnet.runtime.config.proto.ModelConfigProto.DataType;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelConfig;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelDynamicBatching;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelInput;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelOutput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The resolved interface of one model as the server must enforce it: its config.pbtxt checked
 * against the ONNX graph, or derived from the graph when there is no config.
 *
 * @param name the model's name (the repository directory's)
 * @param maxBatchSize Triton's max_batch_size: > 0 when every input and output has a leading batch
 *     dimension that is not listed in dims; 0 when dims are the full shapes
 * @param inputs in the model graph's input order
 * @param outputs in the model graph's output order (all graph outputs when the config lists none;
 *     else those listed)
 * @param maxQueueSize dynamic_batching.default_queue_policy.max_queue_size, 0 when the config sets none
 * @param derived true when there was no config.pbtxt and everything came from the graph
 */
public record ModelSignature(
        String name,
        int maxBatchSize,
        List<TensorSignature> inputs,
        List<TensorSignature> outputs,
        int maxQueueSize,
        boolean derived) {

    private static final String FILE = ModelConfigFile.FILE_NAME;
    private static final String ONNX_PLATFORM = "onnxruntime_onnx";
    private static final String ONNX_BACKEND = "onnxruntime";

    /**
     * @throws NullPointerException when name, inputs or outputs is null, or either list holds null
     */
    public ModelSignature {
        Objects.requireNonNull(name, "name");
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /**
     * Resolves the effective signature and checks the config against the graph.
     *
     * <p>Without a config the signature is derived as Triton's auto-complete would: batched with
     * {@code defaultMaxBatchSize} when every graph input and output has a dynamic first
     * dimension, else unbatched with the full graph shapes. With a config, every listed input and
     * output must exist in the graph with the same element type and a compatible shape: equal
     * dimensions, or one the graph leaves open (-1) and the config fixes or leaves open too.
     *
     * @param entryName the model's directory name in the repository
     * @param config the parsed config.pbtxt, or empty when the model has none
     * @param graphInputs the graph's inputs in graph order, as the session reports them
     * @param graphOutputs the graph's outputs in graph order, as the session reports them
     * @param defaultMaxBatchSize the max_batch_size to derive for a batchable graph without a
     *     config; 0 derives no batching
     * @return the signature, inputs and outputs in graph order
     * @throws ModelLoadException when the config does not fit the graph or asks for what this
     *     server cannot do: the message names the config field and both sides
     * @throws NullPointerException when an argument is null
     * @throws IllegalArgumentException when {@code defaultMaxBatchSize} is negative
     */
    public static ModelSignature resolve(
            String entryName,
            Optional<ModelConfig> config,
            Map<String, TensorSpec> graphInputs,
            Map<String, TensorSpec> graphOutputs,
            int defaultMaxBatchSize)
            throws ModelLoadException {
        Objects.requireNonNull(entryName, "entryName");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(graphInputs, "graphInputs");
        Objects.requireNonNull(graphOutputs, "graphOutputs");
        if (defaultMaxBatchSize < 0) {
            throw new IllegalArgumentException("defaultMaxBatchSize must be >= 0, got " + defaultMaxBatchSize);
        }
        if (config.isEmpty()) {
            boolean batched = defaultMaxBatchSize > 0
                    && graphInputs.values().stream().allMatch(ModelSignature::hasBatchDimension)
                    && graphOutputs.values().stream().allMatch(ModelSignature::hasBatchDimension);
            return new ModelSignature(entryName, batched ? defaultMaxBatchSize : 0, fromGraph(graphInputs, batched),
                    fromGraph(graphOutputs, batched), 0, true);
        }
        ModelConfig c = config.get();
        checkIdentity(entryName, c);
        checkSupported(c);
        int maxBatchSize = c.getMaxBatchSize();
        if (maxBatchSize < 0) {
            throw fail(FILE + " max_batch_size is " + maxBatchSize + "; use 0 for no batching or a positive batch limit");
        }
        boolean batched = maxBatchSize > 0;
        if (batched) {
            requireBatchDimension(maxBatchSize, "input", graphInputs);
            requireBatchDimension(maxBatchSize, "output", graphOutputs);
        }
        List<Declared> inputs = new ArrayList<>();
        for (ModelInput in : c.getInputList()) {
            inputs.add(new Declared(in.getName(), in.getDataType(), in.getDataTypeValue(), toArray(in.getDimsList()),
                    in.hasReshape() ? toArray(in.getReshape().getShapeList()) : null));
        }
        List<Declared> outputs = new ArrayList<>();
        for (ModelOutput out : c.getOutputList()) {
            outputs.add(new Declared(out.getName(), out.getDataType(), out.getDataTypeValue(), toArray(out.getDimsList()),
                    out.hasReshape() ? toArray(out.getReshape().getShapeList()) : null));
        }
        return new ModelSignature(
                entryName,
                maxBatchSize,
                inputs.isEmpty()
                        ? fromGraph(graphInputs, batched)
                        : match("input", inputs, graphInputs, batched, true),
                outputs.isEmpty()
                        ? fromGraph(graphOutputs, batched)
                        : match("output", outputs, graphOutputs, batched, false),
                maxQueueSize(c),
                false);
    }

    /** An input or output entry of the config, whichever message it came from. */
    private record Declared(String name, DataType type, int typeNumber, long[] dims, long[] reshape) {}

    private static void checkIdentity(String entryName, ModelConfig c) throws ModelLoadException {
        if (!c.getName().isEmpty() && !c.getName().equals(entryName)) {
            throw fail(FILE + " name '" + c.getName() + "' does not match the model's directory '" + entryName + "'");
        }
        if (!c.getPlatform().isEmpty() && !c.getPlatform().equals(ONNX_PLATFORM)) {
            throw fail(FILE + " platform '" + c.getPlatform() + "' is not supported; this server runs ONNX models,"
                    + " platform '" + ONNX_PLATFORM + "'");
        }
        if (!c.getBackend().isEmpty() && !c.getBackend().equals(ONNX_BACKEND)) {
            throw fail(FILE + " backend '" + c.getBackend() + "' is not supported; this server runs ONNX models,"
                    + " backend '" + ONNX_BACKEND + "'");
        }
    }

    // These change which tensors the graph sees or how requests are grouped; ignoring them would
    // serve the model with other semantics than its config asks for.
    private static void checkSupported(ModelConfig c) throws ModelLoadException {
        if (c.hasSequenceBatching()) {
            throw fail(FILE + " sets sequence_batching, which this server does not support; it serves stateless"
                    + " models, one request at a time or with dynamic_batching");
        }
        if (c.hasEnsembleScheduling()) {
            throw fail(FILE + " sets ensemble_scheduling, which this server does not support; it serves single"
                    + " ONNX models");
        }
        if (c.getBatchInputCount() > 0) {
            throw fail(FILE + " sets batch_input, which this server does not support");
        }
        if (c.getBatchOutputCount() > 0) {
            throw fail(FILE + " sets batch_output, which this server does not support");
        }
    }

    private static void requireBatchDimension(int maxBatchSize, String kind, Map<String, TensorSpec> graph)
            throws ModelLoadException {
        for (TensorSpec spec : graph.values()) {
            if (spec.rank() == 0) {
                throw fail(FILE + " max_batch_size is " + maxBatchSize + " but the model's " + kind + " '" + spec.name()
                        + "' is a scalar, with no batch dimension; use max_batch_size: 0 and full dims");
            }
            long first = spec.shape()[0];
            if (first != -1) {
                throw fail(FILE + " max_batch_size is " + maxBatchSize + " but the model's " + kind + " '" + spec.name()
                        + "' has a fixed first dimension " + first + "; use max_batch_size: 0 and full dims");
            }
        }
    }

    private static boolean hasBatchDimension(TensorSpec spec) {
        return spec.rank() >= 1 && spec.shape()[0] == -1;
    }

    private static List<TensorSignature> fromGraph(Map<String, TensorSpec> graph, boolean batched) {
        List<TensorSignature> signatures = new ArrayList<>();
        for (TensorSpec spec : graph.values()) {
            signatures.add(new TensorSignature(spec.name(), spec.type(), graphShape(spec, batched), null));
        }
        return signatures;
    }

    /** The graph's shape as dims describe it: without the batch dimension when batched. */
    private static long[] graphShape(TensorSpec spec, boolean batched) {
        long[] shape = spec.shape();
        return batched ? Arrays.copyOfRange(shape, 1, shape.length) : shape;
    }

    /**
     * Checks each declared tensor against the graph's, in config order so that the first problem
     * the author wrote is the one reported; returns them in graph order.
     */
    private static List<TensorSignature> match(
            String kind, List<Declared> declared, Map<String, TensorSpec> graph, boolean batched, boolean requireAll)
            throws ModelLoadException {
        Map<String, TensorSignature> byName = new HashMap<>();
        for (int i = 0; i < declared.size(); i++) {
            Declared d = declared.get(i);
            if (d.name().isEmpty()) {
                throw fail(FILE + " " + kind + " number " + (i + 1) + " has no name");
            }
            if (byName.containsKey(d.name())) {
                throw fail(FILE + " lists " + kind + " '" + d.name() + "' twice");
            }
            TensorSpec spec = graph.get(d.name());
            if (spec == null) {
                throw fail(FILE + " " + kind + " '" + d.name() + "' is not an " + kind + " of the model; its " + kind
                        + "s are " + graph.keySet());
            }
            byName.put(d.name(), check(kind, d, spec, batched));
        }
        if (requireAll) {
            for (String name : graph.keySet()) {
                if (!byName.containsKey(name)) {
                    throw fail(FILE + " does not list the model's " + kind + " '" + name + "'; list all of its " + kind
                            + "s " + graph.keySet() + " or none to derive them");
                }
            }
        }
        List<TensorSignature> ordered = new ArrayList<>();
        for (String name : graph.keySet()) {
            if (byName.containsKey(name)) {
                ordered.add(byName.get(name));
            }
        }
        return ordered;
    }

    private static TensorSignature check(String kind, Declared d, TensorSpec spec, boolean batched)
            throws ModelLoadException {
        String what = FILE + " " + kind + " '" + d.name() + "'";
        ElementType type = elementType(what, d);
        if (type != spec.type()) {
            throw fail(what + " data_type " + d.type().name() + " does not match the model's " + tritonName(spec.type()));
        }
        requireValidSizes(what, "dims", d.dims());
        long[] graphShape = graphShape(spec, batched);
        if (d.reshape() == null) {
            if (!compatible(d.dims(), graphShape)) {
                throw fail(what + " dims " + Arrays.toString(d.dims()) + " do not match the model's "
                        + Arrays.toString(graphShape) + rankHint("dims", d.dims(), graphShape, batched));
            }
        } else {
            requireValidSizes(what, "reshape", d.reshape());
            if (isFixed(d.dims()) && isFixed(d.reshape())) {
                long given = elements(what, "dims", d.dims());
                long reshaped = elements(what, "reshape", d.reshape());
                if (given != reshaped) {
                    throw fail(what + " dims " + Arrays.toString(d.dims()) + " hold " + given
                            + " elements but its reshape " + Arrays.toString(d.reshape()) + " holds " + reshaped);
                }
            }
            if (!compatible(d.reshape(), graphShape)) {
                throw fail(what + " reshape " + Arrays.toString(d.reshape()) + " does not match the model's "
                        + Arrays.toString(graphShape) + rankHint("reshape", d.reshape(), graphShape, batched));
            }
        }
        return new TensorSignature(d.name(), type, d.dims(), d.reshape());
    }

    private static ElementType elementType(String what, Declared d) throws ModelLoadException {
        ElementType type = switch (d.type()) {
            case TYPE_FP32 -> ElementType.FP32;
            case TYPE_FP64 -> ElementType.FP64;
            case TYPE_FP16 -> ElementType.FP16;
            case TYPE_INT8 -> ElementType.INT8;
            case TYPE_UINT8 -> ElementType.UINT8;
            case TYPE_INT16 -> ElementType.INT16;
            case TYPE_INT32 -> ElementType.INT32;
            case TYPE_INT64 -> ElementType.INT64;
            case TYPE_BOOL -> ElementType.BOOL;
            default -> null;
        };
        if (type != null) {
            return type;
        }
        String supported = Arrays.stream(ElementType.values())
                .map(ModelSignature::tritonName)
                .collect(Collectors.joining(", "));
        if (d.type() == DataType.TYPE_INVALID) {
            throw fail(what + " has no data_type; supported are " + supported);
        }
        String given = d.type() == DataType.UNRECOGNIZED ? String.valueOf(d.typeNumber()) : d.type().name();
        throw fail(what + " data_type " + given + " is not supported; supported are " + supported);
    }

    private static String tritonName(ElementType type) {
        return switch (type) {
            case FP32 -> "TYPE_FP32";
            case FP64 -> "TYPE_FP64";
            case FP16 -> "TYPE_FP16";
            case INT8 -> "TYPE_INT8";
            case UINT8 -> "TYPE_UINT8";
            case INT16 -> "TYPE_INT16";
            case INT32 -> "TYPE_INT32";
            case INT64 -> "TYPE_INT64";
            case BOOL -> "TYPE_BOOL";
        };
    }

    private static void requireValidSizes(String what, String field, long[] sizes) throws ModelLoadException {
        for (long size : sizes) {
            if (size == 0 || size < -1) {
                throw fail(what + " " + field + " " + Arrays.toString(sizes) + (plural(field) ? " contain " : " contains ")
                        + size + "; each dimension must be positive, or -1 for any size");
            }
        }
    }

    /** Same rank, and each dimension equal or left open (-1) by the graph. */
    private static boolean compatible(long[] config, long[] graph) {
        if (config.length != graph.length) {
            return false;
        }
        for (int i = 0; i < config.length; i++) {
            if (graph[i] != -1 && config[i] != graph[i]) {
                return false;
            }
        }
        return true;
    }

    // The usual cause of a rank mismatch is writing the batch dimension into dims, or leaving it out.
    private static String rankHint(String field, long[] config, long[] graph, boolean batched) {
        if (batched && field.equals("dims") && graph.length == 0 && Arrays.equals(config, new long[] {1})) {
            return "; the model's tensor is the batch dimension alone, so write dims: [ 1 ] with reshape: { shape: [ ] }";
        }
        if (batched && config.length == graph.length + 1) {
            return "; with max_batch_size > 0, " + field + (plural(field) ? " leave" : " leaves")
                    + " out the batch dimension";
        }
        if (!batched && config.length + 1 == graph.length) {
            return "; with max_batch_size: 0, " + field + (plural(field) ? " are" : " is")
                    + " the full shape, batch dimension included";
        }
        return "";
    }

    private static boolean plural(String field) {
        return field.equals("dims");
    }

    private static boolean isFixed(long[] shape) {
        return Arrays.stream(shape).allMatch(d -> d > 0);
    }

    private static long elements(String what, String field, long[] shape) throws ModelLoadException {
        long n = 1;
        for (long d : shape) {
            if (n > Long.MAX_VALUE / d) {
                throw fail(what + " " + field + " " + Arrays.toString(shape)
                        + (plural(field) ? " hold" : " holds") + " more elements than a tensor can");
            }
            n *= d;
        }
        return n;
    }

    private static int maxQueueSize(ModelConfig c) throws ModelLoadException {
        if (!c.hasDynamicBatching()) {
            return 0;
        }
        ModelDynamicBatching batching = c.getDynamicBatching();
        if (!batching.hasDefaultQueuePolicy()) {
            return 0;
        }
        // uint32 in the config; Java reads values above Integer.MAX_VALUE as negative.
        int size = batching.getDefaultQueuePolicy().getMaxQueueSize();
        if (size < 0) {
            throw fail(FILE + " dynamic_batching.default_queue_policy.max_queue_size " + Integer.toUnsignedString(size)
                    + " is too large; at most " + Integer.MAX_VALUE);
        }
        return size;
    }

    private static long[] toArray(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    private static ModelLoadException fail(String message) {
        return new ModelLoadException(message, null);
    }
}
