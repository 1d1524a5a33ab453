package dev.dualnet.exporter;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.dualnet.exporter.graph.GraphBuilder;
import dev.dualnet.exporter.graph.ModelAssembly;
import dev.dualnet.exporter.graph.OnnxOperator;
import dev.dualnet.exporter.lower.Lowering;
import dev.dualnet.exporter.onnx.proto.Onnx.ModelProto;
import dev.dualnet.exporter.ops.OpTable;
import dev.dualnet.exporter.trace.BlockTree;
import dev.dualnet.exporter.trace.Trace;
import dev.dualnet.exporter.trace.Tracer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Exports a DJL block to ONNX by tracing its inference forward pass, in the spirit of
 * {@code torch.onnx.export}:
 *
 * <pre>{@code
 * OnnxExport.of(block)
 *         .input("data", DataType.FLOAT32, -1, 3, 224, 224)
 *         .output("logits")
 *         .opset(17)
 *         .write(Path.of("model.onnx"));
 * }</pre>
 *
 * <p>The block runs once on recording arrays ({@code training=false}, so dropout disappears);
 * every {@code NDArray}, {@code NDArrayEx} and {@code NDManager} operation it performs becomes ONNX
 * nodes, its parameters become initializers named by their block path, and work that depends on no
 * input folds into constants. A dimension given as {@code -1} or a name stays dynamic: the block is
 * traced at two sizes of it and the two traces must agree up to the numbers derived from it.
 *
 * <p>Unmapped operations, sizes that cannot stay dynamic and operators the target opset lacks fail
 * with an {@link OnnxExportException} naming the method, the block path and the opset.
 */
public final class OnnxExport {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OnnxExport.class);
    public static final int DEFAULT_OPSET = 17;
    public static final int MIN_OPSET = OnnxOperator.MIN_OPSET;
    public static final int MAX_OPSET = 18;
    public static final String PRODUCER = "dualnet";
    public static final String PRODUCER_VERSION = "0.1.0";

    /** Trace sizes of the dynamic dimensions, in order of first appearance: distinct primes. */
    private static final long[][] DEFAULT_TRACE_SIZES = {{2, 3}, {5, 7}, {11, 13}, {17, 19}, {23, 29}, {31, 37}};

    private final Block block;
    private final List<TensorSpec> inputs = new ArrayList<>();
    private final Map<String, String> inputDocs = new LinkedHashMap<>();
    private final List<String> outputs = new ArrayList<>();
    private final Map<String, String> outputDocs = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, long[]> traceSizes = new LinkedHashMap<>();
    private int opset = DEFAULT_OPSET;
    private String graphName = "main";
    private String docString = "";
    private String graphDocString = "";
    private NDManager manager;
    private UnaryOperator<NDList> andThen;

    private OnnxExport(Block block) {
        this.block = block;
    }

    /** Starts an export of an initialised block. */
    public static OnnxExport of(Block block) {
        if (block == null) {
            throw OnnxExportException.invalidRequest("no block to export");
        }
        return new OnnxExport(block);
    }

    /**
     * Adds an input, in the order the block's forward pass takes them.
     *
     * @param dims sizes; {@code -1} marks a dynamic dimension, named {@code N} on axis 0 (shared by
     *     every input) and {@code NAME_AXIS} elsewhere
     */
    public OnnxExport input(String name, DataType dataType, long... dims) {
        List<Dim> shape = new ArrayList<>();
        for (int axis = 0; axis < dims.length; axis++) {
            if (dims[axis] == -1) {
                shape.add(Dim.named(axis == 0 ? "N" : name + "_" + axis));
            } else {
                shape.add(Dim.of(dims[axis]));
            }
        }
        return input(new TensorSpec(name, dataType, shape));
    }

    /** Adds an input whose shape is written as text, such as {@code "N,3,224,224"}. */
    public OnnxExport input(String name, DataType dataType, String shape) {
        return input(new TensorSpec(name, dataType, Dim.parseShape(shape)));
    }

    public OnnxExport input(TensorSpec spec) {
        inputs.add(spec);
        return this;
    }

    /** Documents an input in the ONNX file. */
    public OnnxExport inputDoc(String name, String doc) {
        inputDocs.put(name, doc);
        return this;
    }

    /** Names the outputs, in the order the forward pass returns them (default {@code output_0}, ...). */
    public OnnxExport output(String... names) {
        outputs.addAll(List.of(names));
        return this;
    }

    /** Documents an output in the ONNX file. */
    public OnnxExport outputDoc(String name, String doc) {
        outputDocs.put(name, doc);
        return this;
    }

    /** The ONNX opset, {@value #MIN_OPSET} to {@value #MAX_OPSET}; default {@value #DEFAULT_OPSET}. */
    public OnnxExport opset(int opset) {
        this.opset = opset;
        return this;
    }

    public OnnxExport graphName(String name) {
        this.graphName = name;
        return this;
    }

    /** The model's doc string. */
    public OnnxExport docString(String doc) {
        this.docString = doc;
        return this;
    }

    /** The graph's doc string. */
    public OnnxExport graphDocString(String doc) {
        this.graphDocString = doc;
        return this;
    }

    /** Adds an entry to the model's {@code metadata_props}. */
    public OnnxExport metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /**
     * The two sizes a dynamic dimension is traced at (default: distinct primes, 2 and 3 for the
     * first dimension). Use other sizes when the block needs them, such as a sequence the block
     * cannot take shorter than some length.
     */
    public OnnxExport traceSizes(String dimension, long first, long second) {
        if (first < 1 || second < 1 || first == second) {
            throw OnnxExportException.invalidRequest("trace sizes of " + dimension + " must be two different"
                    + " positive sizes, got " + first + " and " + second);
        }
        traceSizes.put(dimension, new long[] {first, second});
        return this;
    }

    /** The manager to compute the trace with; default: the one holding the block's parameters. */
    public OnnxExport manager(NDManager manager) {
        this.manager = manager;
        return this;
    }

    /**
     * A function applied to the forward pass's results, traced with it: a softmax over logits, say,
     * so the exported graph returns probabilities.
     */
    public OnnxExport andThen(UnaryOperator<NDList> function) {
        this.andThen = function;
        return this;
    }

    /** Traces the block and builds the model, keeping the trace's arrays until the result is closed. */
    public ExportedModel export() {
        validate();
        Map<String, long[]> sizes = sizes();
        NDManager engine = manager != null ? manager : parameterManager();
        NDManager owned = engine == null ? NDManager.newBaseManager() : null;
        if (owned != null) {
            engine = owned;
        }
        BlockTree tree = new BlockTree(block);
        OpTable table = OpTable.standard();
        List<Trace> traces = new ArrayList<>();
        try {
            long start = System.nanoTime();
            traces.add(Tracer.run(tree, table, opset, engine, concrete(sizes, 0), andThen));
            long traced = System.nanoTime();
            if (!sizes.isEmpty()) {
                traces.add(Tracer.run(tree, table, opset, engine, concrete(sizes, 1), andThen));
            }
            long tracedTwice = System.nanoTime();
            Trace first = traces.get(0);
            List<String> names = outputNames(first.outputs().size());
            GraphBuilder graph = new GraphBuilder(graphName, opset);
            Lowering lowering = new Lowering(first, traces.size() > 1 ? traces.get(1) : null, sizes, graph, tree,
                    inputs, inputDocs);
            lowering.lower(names, names.stream().map(n -> outputDocs.getOrDefault(n, "")).toList());
            if (LOG.isDebugEnabled()) {
                LOG.debug("traced {} operations at {} in {} ms{}; lowered to {} initializers in {} ms", first.ops().size(),
                        describe(sizes, 0), (traced - start) / 1_000_000, sizes.isEmpty() ? ""
                                : ", again at " + describe(sizes, 1) + " in " + (tracedTwice - traced) / 1_000_000 + " ms",
                        graph.initializers().size(), (System.nanoTime() - tracedTwice) / 1_000_000);
            }
            ModelAssembly assembly = new ModelAssembly(graph, new ModelAssembly.Header(opset, PRODUCER,
                    PRODUCER_VERSION, docString, metadata), graphDocString);
            Set<String> warnings = new LinkedHashSet<>();
            traces.forEach(t -> warnings.addAll(t.warnings()));
            return new ExportedModel(assembly, traces, owned, List.copyOf(warnings));
        } catch (RuntimeException | Error e) {
            traces.forEach(Trace::close);
            if (owned != null) {
                owned.close();
            }
            throw e;
        }
    }

    /** Exports into an in-memory model (inline data, so at most 2 GiB of parameters). */
    public ModelProto toModel() {
        try (ExportedModel exported = export()) {
            return exported.model();
        }
    }

    /**
     * Exports into a file, written atomically; parameters too large for one protobuf go to
     * {@code FILE.data} beside it.
     *
     * @return the external data file, or null when everything is inline
     */
    public Path write(Path file) throws IOException {
        try (ExportedModel exported = export()) {
            return exported.write(file);
        }
    }

    private void validate() {
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw OnnxExportException.invalidRequest("opset " + opset + " is not supported; choose " + MIN_OPSET
                    + " to " + MAX_OPSET);
        }
        if (inputs.isEmpty()) {
            throw OnnxExportException.invalidRequest("declare the block's inputs with input(name, type, dims...)");
        }
        Set<String> names = new LinkedHashSet<>();
        for (TensorSpec input : inputs) {
            if (!names.add(input.name())) {
                throw OnnxExportException.invalidRequest("input '" + input.name() + "' is declared twice");
            }
            try {
                dev.dualnet.exporter.graph.ElementTypes.onnx(input.dataType());
            } catch (IllegalArgumentException e) {
                throw OnnxExportException.invalidRequest("input '" + input.name() + "' has type " + input.dataType()
                        + ", which ONNX tensors cannot hold");
            }
        }
        for (String output : outputs) {
            if (!names.add(output)) {
                throw OnnxExportException.invalidRequest("tensor name '" + output + "' is used twice");
            }
        }
        for (Pair<String, Parameter> parameter : block.getParameters()) {
            if (!parameter.getValue().isInitialized()) {
                throw OnnxExportException.invalidRequest("the block is not initialized (parameter '"
                        + parameter.getKey() + "' has no value): call block.initialize(...) or load its parameters"
                        + " before exporting");
            }
        }
    }

    /** Each dynamic dimension's two trace sizes, in order of first appearance. */
    private Map<String, long[]> sizes() {
        Map<String, long[]> sizes = new LinkedHashMap<>();
        for (TensorSpec input : inputs) {
            for (Dim dim : input.shape()) {
                if (!dim.isFixed() && (dim.factor() != 1 || dim.symbols().size() != 1)) {
                    throw OnnxExportException.invalidRequest("input '" + input.name() + "' has dimension " + dim
                            + "; an input dimension is a size or a single name");
                }
                for (String symbol : dim.symbols()) {
                    if (!sizes.containsKey(symbol)) {
                        long[] pair = traceSizes.get(symbol);
                        if (pair == null) {
                            if (sizes.size() >= DEFAULT_TRACE_SIZES.length) {
                                throw OnnxExportException.invalidRequest("more than " + DEFAULT_TRACE_SIZES.length
                                        + " dynamic dimensions; give each its trace sizes with traceSizes(...)");
                            }
                            pair = DEFAULT_TRACE_SIZES[sizes.size()];
                        }
                        sizes.put(symbol, pair);
                    }
                }
            }
        }
        for (String symbol : traceSizes.keySet()) {
            if (!sizes.containsKey(symbol)) {
                throw OnnxExportException.invalidRequest("trace sizes are given for '" + symbol
                        + "', which no input has");
            }
        }
        return sizes;
    }

    private static String describe(Map<String, long[]> sizes, int which) {
        if (sizes.isEmpty()) {
            return "fixed sizes";
        }
        List<String> parts = new ArrayList<>();
        sizes.forEach((symbol, pair) -> parts.add(symbol + "=" + pair[which]));
        return String.join(", ", parts);
    }

    private List<Tracer.Input> concrete(Map<String, long[]> sizes, int which) {
        List<Tracer.Input> concrete = new ArrayList<>();
        for (TensorSpec input : inputs) {
            long[] dims = input.shape().stream().mapToLong(d -> d.evaluate(s -> sizes.get(s)[which])).toArray();
            concrete.add(new Tracer.Input(input.name(), input.dataType(), new Shape(dims)));
        }
        return concrete;
    }

    private List<String> outputNames(int count) {
        if (outputs.isEmpty()) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                names.add("output_" + i);
            }
            return names;
        }
        if (outputs.size() != count) {
            throw OnnxExportException.invalidRequest(outputs.size() + " output names given (" + String.join(", ", outputs)
                    + "), but the forward pass returns " + count + " arrays");
        }
        return outputs;
    }

    private NDManager parameterManager() {
        for (Pair<String, Parameter> parameter : block.getParameters()) {
            if (parameter.getValue().isInitialized()) {
                return parameter.getValue().getArray().getManager();
            }
        }
        return null;
    }
}
