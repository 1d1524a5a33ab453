package dev.dualnet.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ONNX model loaded into an ONNX Runtime session: its input and output specs as the session
 * reports them, and generic runs over named tensors. Safe to call from many threads at once;
 * close it to free the native session.
 */
public final class OnnxModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxModel.class);
    /** What the CUDA provider of the onnxruntime_gpu build needs; its own error names only a symptom. */
    private static final String CUDA_NEEDS =
            "onnxruntime_gpu needs an NVIDIA GPU with CUDA 12.x and cuDNN 9.x libraries on the library path";

    private final Path path;
    private final OrtEnvironment environment;
    private final OrtSession session;
    /** Kept open while the session lives, as ONNX Runtime documents; closed with it. */
    private final OrtSession.SessionOptions sessionOptions;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    private final ExecutionProvider provider;
    private final int intraOpThreads;
    private final Map<String, TensorSpec> inputs;
    private final Map<String, TensorSpec> outputs;
    /** The graph's symbolic dimension names per input ("" where a dimension has none). */
    private final Map<String, String[]> inputDimensionNames;
    private final Map<String, String> metadata;

    private OnnxModel(Path path, OrtEnvironment environment, OrtSession session, OrtSession.SessionOptions sessionOptions,
            ExecutionProvider provider, int intraOpThreads) throws OrtException {
        this.path = path;
        this.environment = environment;
        this.session = session;
        this.sessionOptions = sessionOptions;
        this.provider = provider;
        this.intraOpThreads = intraOpThreads;
        this.inputs = specs(session.getInputInfo(), path);
        this.outputs = specs(session.getOutputInfo(), path);
        this.inputDimensionNames = dimensionNames(session.getInputInfo());
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(session.getMetadata().getCustomMetadata()));
    }

    /**
     * Loads a model file, or the model of a repository entry ({@code DIR/1/model.onnx} for the
     * highest numbered version directory).
     *
     * @throws ModelLoadException naming the path when it is missing, unreadable or not a valid model,
     *     or when CUDA was required and cannot be used
     */
    public static OnnxModel load(Path path, RuntimeOptions options) throws ModelLoadException {
        Path file = ModelRepository.resolveModelFile(path);
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException(notFound(path, file), null);
        }
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        boolean cudaBuilt = OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
        if (options.device() != RuntimeOptions.Device.CPU && cudaBuilt) {
            try {
                OnnxModel model = open(file, environment, options, ExecutionProvider.CUDA);
                LOG.info("{}: running on CUDA device {}", file, options.deviceId());
                return model;
            } catch (OrtException e) {
                if (options.device() == RuntimeOptions.Device.CUDA) {
                    throw new ModelLoadException(file + ": CUDA execution provider failed: " + firstLine(e.getMessage())
                            + " (" + CUDA_NEEDS + ")", e);
                }
                LOG.info("{}: CUDA unavailable ({}; {}); falling back to CPU", file, firstLine(e.getMessage()),
                        CUDA_NEEDS);
            }
        } else if (options.device() == RuntimeOptions.Device.CUDA) {
            throw new ModelLoadException(file + ": CUDA requested but this build has no CUDA execution provider "
                    + "(the GPU build has it: DUALNET_BUILD=gpu, or Maven profile gpu)", null);
        }
        try {
            OnnxModel model = open(file, environment, options, ExecutionProvider.CPU);
            LOG.info("{}: running on CPU{}", file, cudaBuilt ? "" : " (this build has no CUDA execution provider)");
            return model;
        } catch (OrtException e) {
            throw new ModelLoadException(file + ": not a loadable ONNX model: " + firstLine(e.getMessage()), e);
        }
    }

    private static OnnxModel open(Path file, OrtEnvironment environment, RuntimeOptions options,
            ExecutionProvider provider) throws OrtException {
        OrtSession.SessionOptions sessionOptions = sessionOptions(options, provider == ExecutionProvider.CUDA);
        OrtSession session = null;
        try {
            session = environment.createSession(file.toString(), sessionOptions);
            return new OnnxModel(file, environment, session, sessionOptions, provider, options.intraOpThreads());
        } catch (OrtException | RuntimeException e) {
            if (session != null) {
                session.close();
            }
            sessionOptions.close();
            throw e;
        }
    }

    private static OrtSession.SessionOptions sessionOptions(RuntimeOptions options, boolean cuda)
            throws OrtException {
        OrtSession.SessionOptions session = new OrtSession.SessionOptions();
        try {
            session.setIntraOpNumThreads(options.intraOpThreads());
            session.setInterOpNumThreads(1);
            session.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            session.setOptimizationLevel(switch (options.optimization()) {
                case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
                case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            });
            if (cuda) {
                session.addCUDA(options.deviceId());
            }
            return session;
        } catch (OrtException | RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /** The model file the session was created from. */
    public Path path() {
        return path;
    }

    /** The execution provider chosen at load. */
    public ExecutionProvider executionProvider() {
        return provider;
    }

    /** Intra-op threads the session was opened with; 0 when ONNX Runtime chose. */
    public int intraOpThreads() {
        return intraOpThreads;
    }

    /** Inputs by name, in the model's order. */
    public Map<String, TensorSpec> inputs() {
        return inputs;
    }

    /** Outputs by name, in the model's order. */
    public Map<String, TensorSpec> outputs() {
        return outputs;
    }

    /** The model's metadata_props. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Runs the model on named tensors.
     *
     * @param feeds one tensor per model input
     * @param requested outputs to return; empty for all
     * @return the requested outputs by name, in the model's output order
     * @throws InvalidInputException before anything runs, when a tensor is unknown, missing, of the
     *     wrong type or shape, has a dimension of size 0, disagrees with another input on a dimension
     *     the graph gives the same name (the batch, usually), or an unknown output is requested; or
     *     when ONNX Runtime rejects the values as invalid arguments (an index beyond its table)
     * @throws InferenceException when ONNX Runtime fails on valid input
     * @throws IllegalStateException when the model is closed
     */
    public Map<String, NamedTensor> run(List<NamedTensor> feeds, Set<String> requested) {
        return run(feeds, requested, RunPhases.NONE);
    }

    /**
     * Runs the model on named tensors, telling {@code phases} how long each part of the call took.
     *
     * @param phases told the durations once the outputs are converted; not told when the run fails
     * @see #run(List, Set)
     */
    public Map<String, NamedTensor> run(List<NamedTensor> feeds, Set<String> requested, RunPhases phases) {
        requireOpen();
        validate(feeds, requested);
        Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
        try {
            long start = System.nanoTime();
            for (NamedTensor feed : feeds) {
                tensors.put(feed.name(), toOnnx(feed));
            }
            Set<String> outputNames = requested.isEmpty() ? outputs.keySet() : requested;
            long inputsReady = System.nanoTime();
            try (OrtSession.Result result = session.run(tensors, outputNames)) {
                long inferred = System.nanoTime();
                Map<String, NamedTensor> out = new LinkedHashMap<>();
                for (String name : outputs.keySet()) {
                    if (outputNames.contains(name)) {
                        out.put(name, fromOnnx(name, result.get(name).orElseThrow()));
                    }
                }
                phases.record(inputsReady - start, inferred - inputsReady, System.nanoTime() - inferred);
                return out;
            }
        } catch (OrtException e) {
            if (e.getCode() == OrtException.OrtErrorCode.ORT_INVALID_ARGUMENT) {
                // Values that pass every type and shape check but not the graph: an index beyond its table.
                throw new InvalidInputException("the model cannot take these input values: " + kernelError(e));
            }
            throw new InferenceException(path + ": inference failed: " + firstLine(e.getMessage()), e);
        } finally {
            tensors.values().forEach(OnnxTensor::close);
        }
    }

    private static final java.util.regex.Pattern KERNEL_ERROR = java.util.regex.Pattern.compile(
            "running (\\S+) node\\. Name:'([^']*)' Status Message: (.*)");

    /** ONNX Runtime's kernel error as "Gather node 'name': what was wrong", else its first line. */
    private static String kernelError(OrtException e) {
        String message = firstLine(e.getMessage());
        java.util.regex.Matcher matcher = KERNEL_ERROR.matcher(message);
        return matcher.find() ? matcher.group(1) + " node '" + matcher.group(2) + "': " + matcher.group(3).strip()
                : message.replaceFirst("^Error code - \\S+ - message: ", "");
    }

    /**
     * Runs with ready-made ONNX tensors, writing the outputs into the caller's tensors: ONNX Runtime
     * then creates no output tensor, which at batch 1 costs about as much as the graph itself. The
     * caller closes the result and every tensor.
     */
    OrtSession.Result runInto(Map<String, OnnxTensor> feeds, Map<String, OnnxTensor> outputs) throws OrtException {
        requireOpen();
        return session.run(feeds, outputs);
    }

    OrtEnvironment environment() {
        return environment;
    }

    /**
     * Checks named tensors against the model without running it.
     *
     * @throws InvalidInputException as {@link #run} would
     */
    public void validate(List<NamedTensor> feeds, Set<String> requested) {
        Set<String> seen = new java.util.HashSet<>();
        for (NamedTensor feed : feeds) {
            TensorSpec spec = inputs.get(feed.name());
            if (spec == null) {
                throw new InvalidInputException("unknown input '" + feed.name() + "'; the model's inputs are "
                        + inputs.values());
            }
            if (!seen.add(feed.name())) {
                throw new InvalidInputException("input '" + feed.name() + "' given twice");
            }
            if (feed.type() != spec.type()) {
                throw new InvalidInputException("input '" + feed.name() + "' has datatype " + feed.type()
                        + ", expected " + spec.type());
            }
            if (!spec.accepts(feed.shape())) {
                throw new InvalidInputException("input '" + feed.name() + "' has shape "
                        + java.util.Arrays.toString(feed.shape()) + ", expected " + java.util.Arrays.toString(spec.shape())
                        + " (-1 = any size)");
            }
            for (long dim : feed.shape()) {
                // ONNX Runtime's kernels divide by sizes: an empty tensor can kill the process natively.
                if (dim < 1) {
                    throw new InvalidInputException("input '" + feed.name() + "' has shape "
                            + java.util.Arrays.toString(feed.shape()) + "; every dimension must be at least 1");
                }
            }
        }
        checkNamedDimensions(feeds);
        for (String name : inputs.keySet()) {
            if (!seen.contains(name)) {
                throw new InvalidInputException("missing input '" + name + "'; expected " + inputs.values());
            }
        }
        for (String name : requested) {
            if (!outputs.containsKey(name)) {
                throw new InvalidInputException("unknown output '" + name + "'; the model's outputs are "
                        + outputs.keySet());
            }
        }
    }

    /**
     * Inputs whose dimensions carry the same symbolic name in the graph (the batch, usually) must
     * agree on their size; ONNX Runtime would otherwise broadcast them into a wrong answer or fail.
     */
    private void checkNamedDimensions(List<NamedTensor> feeds) {
        Map<String, NamedTensor> firstWith = new java.util.HashMap<>();
        Map<String, Long> sizes = new java.util.HashMap<>();
        for (NamedTensor feed : feeds) {
            String[] names = inputDimensionNames.get(feed.name());
            long[] shape = feed.shape();
            for (int d = 0; d < names.length && d < shape.length; d++) {
                if (names[d].isEmpty()) {
                    continue;
                }
                Long seen = sizes.putIfAbsent(names[d], shape[d]);
                firstWith.putIfAbsent(names[d], feed);
                if (seen != null && seen != shape[d]) {
                    throw new InvalidInputException("inputs '" + firstWith.get(names[d]).name() + "' and '" + feed.name()
                            + "' disagree on dimension '" + names[d] + "': " + seen + " and " + shape[d]
                            + "; the model needs the same size for both (shapes "
                            + java.util.Arrays.toString(firstWith.get(names[d]).shape()) + " and "
                            + java.util.Arrays.toString(shape) + ")");
                }
            }
        }
    }

    private static Map<String, String[]> dimensionNames(Map<String, NodeInfo> infos) {
        Map<String, String[]> names = new LinkedHashMap<>();
        for (NodeInfo node : infos.values()) {
            String[] dims = ((TensorInfo) node.getInfo()).getDimensionNames();
            String[] clean = new String[dims.length];
            for (int d = 0; d < dims.length; d++) {
                clean[d] = dims[d] == null ? "" : dims[d];
            }
            names.put(node.getName(), clean);
        }
        return Collections.unmodifiableMap(names);
    }

    private OnnxTensor toOnnx(NamedTensor feed) throws OrtException {
        long[] shape = feed.shape();
        return switch (feed.type()) {
            case FP32 -> OnnxTensor.createTensor(environment, FloatBuffer.wrap((float[]) feed.data()), shape);
            case FP64 -> OnnxTensor.createTensor(environment, DoubleBuffer.wrap((double[]) feed.data()), shape);
            case INT8 -> OnnxTensor.createTensor(environment, ByteBuffer.wrap((byte[]) feed.data()), shape,
                    ai.onnxruntime.OnnxJavaType.INT8);
            case UINT8 -> OnnxTensor.createTensor(environment, ByteBuffer.wrap((byte[]) feed.data()), shape,
                    ai.onnxruntime.OnnxJavaType.UINT8);
            case INT16 -> OnnxTensor.createTensor(environment, ShortBuffer.wrap((short[]) feed.data()), shape);
            // Without the type, ONNX Runtime would take the binary16 bits for INT16 values.
            case FP16 -> OnnxTensor.createTensor(environment, ShortBuffer.wrap((short[]) feed.data()), shape,
                    ai.onnxruntime.OnnxJavaType.FLOAT16);
            case INT32 -> OnnxTensor.createTensor(environment, IntBuffer.wrap((int[]) feed.data()), shape);
            case INT64 -> OnnxTensor.createTensor(environment, LongBuffer.wrap((long[]) feed.data()), shape);
            case BOOL -> {
                boolean[] values = (boolean[]) feed.data();
                ByteBuffer bytes = ByteBuffer.allocate(values.length);
                for (boolean value : values) {
                    bytes.put((byte) (value ? 1 : 0));
                }
                bytes.flip();
                yield OnnxTensor.createTensor(environment, bytes, shape, ai.onnxruntime.OnnxJavaType.BOOL);
            }
        };
    }

    private static NamedTensor fromOnnx(String name, OnnxValue value) throws OrtException {
        OnnxTensor tensor = (OnnxTensor) value;
        TensorInfo info = tensor.getInfo();
        ElementType type = ElementType.fromOnnx(info.type);
        if (type == null) {
            throw new OrtException("output '" + name + "' has unsupported type " + info.type);
        }
        long[] shape = info.getShape();
        Object data = switch (type) {
            case FP32 -> array(tensor.getFloatBuffer());
            case FP64 -> {
                DoubleBuffer buffer = tensor.getDoubleBuffer();
                double[] out = new double[buffer.remaining()];
                buffer.get(out);
                yield out;
            }
            case INT8, UINT8 -> {
                ByteBuffer buffer = tensor.getByteBuffer();
                byte[] out = new byte[buffer.remaining()];
                buffer.get(out);
                yield out;
            }
            case INT16, FP16 -> {
                // For FP16 the raw binary16 bits, which FP16 tensors hold; getFloatBuffer would widen them.
                ShortBuffer buffer = tensor.getShortBuffer();
                short[] out = new short[buffer.remaining()];
                buffer.get(out);
                yield out;
            }
            case INT32 -> {
                IntBuffer buffer = tensor.getIntBuffer();
                int[] out = new int[buffer.remaining()];
                buffer.get(out);
                yield out;
            }
            case INT64 -> {
                LongBuffer buffer = tensor.getLongBuffer();
                long[] out = new long[buffer.remaining()];
                buffer.get(out);
                yield out;
            }
            case BOOL -> {
                ByteBuffer buffer = tensor.getByteBuffer().order(ByteOrder.nativeOrder());
                boolean[] out = new boolean[buffer.remaining()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = buffer.get() != 0;
                }
                yield out;
            }
        };
        return new NamedTensor(name, type, shape, data);
    }

    static float[] array(FloatBuffer buffer) {
        float[] out = new float[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    private static Map<String, TensorSpec> specs(Map<String, NodeInfo> infos, Path path) throws OrtException {
        Map<String, TensorSpec> specs = new LinkedHashMap<>();
        for (NodeInfo node : infos.values()) {
            if (!(node.getInfo() instanceof TensorInfo tensor)) {
                throw new OrtException(path + ": '" + node.getName() + "' is not a tensor; only tensor models are served");
            }
            ElementType type = ElementType.fromOnnx(tensor.type);
            if (type == null) {
                throw new OrtException(path + ": '" + node.getName() + "' has unsupported type " + tensor.type);
            }
            specs.put(node.getName(), new TensorSpec(node.getName(), type, tensor.getShape()));
        }
        return Collections.unmodifiableMap(specs);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    /**
     * Frees the native session and its options. Closing twice does nothing; running after close
     * throws {@link IllegalStateException}. Close only once the model's runs have returned.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            session.close();
        } catch (OrtException e) {
            LOG.warn("{}: closing the session failed: {}", path, e.getMessage());
        } finally {
            sessionOptions.close();
        }
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException(path.getFileName() + ": the model is closed");
        }
    }

    /** Why {@code path} gave no model file; a directory gets what was looked for and what is there. */
    private static String notFound(Path path, Path file) {
        if (!Files.isDirectory(path)) {
            return file + ": model file not found";
        }
        String message = path + ": no " + ModelRepository.MODEL_FILE + " in it or in a numbered version directory; "
                + "expected a model file or a repository entry (NAME/VERSION/" + ModelRepository.MODEL_FILE + ")";
        try {
            List<String> entries = ModelRepository.entries(path).stream().map(ModelRepository.Entry::name).toList();
            return entries.isEmpty() ? message : message + "; it is a repository root with the entries " + entries;
        } catch (java.io.IOException e) {
            return message;
        }
    }
}
