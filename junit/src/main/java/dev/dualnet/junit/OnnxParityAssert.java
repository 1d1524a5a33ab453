package dev.dualnet.junit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.TensorSpec;
import dev.dualnet.packager.DjlTensors;
import dev.dualnet.parity.TensorComparison;
import dev.dualnet.parity.Tolerance;
import dev.dualnet.runtime.InferenceException;
import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.ModelLoadException;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.RuntimeOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.opentest4j.AssertionFailedError;

/**
 * An assertion that a DJL block's ONNX export computes what the block computes: configure it with
 * example inputs, then finish it with {@link #matchesWithin(double)}, which exports the block with
 * {@link OnnxExport}, runs the file in ONNX Runtime and the block's own inference forward pass on
 * the same inputs, and compares every output element by element.
 *
 * <pre>{@code
 * OnnxParity.assertThat(block)
 *         .withInputs(manager.randomUniform(0, 1, new Shape(4, 3, 32, 32)))   // input_0
 *         .outputNames("logits")
 *         .exportedAs(dir.resolve("model.onnx"))
 *         .matchesWithin(1e-5);
 * }</pre>
 *
 * <p>The first dimension of every input is exported as the dynamic batch dimension {@code N}
 * (traced at other batch sizes than the examples', so the check also shows that the graph holds
 * at the examples' batch size); {@link #withFixedShapes()} exports the examples' shapes as they
 * are. An assertion is built and finished in one test; it is not meant to be shared between threads.
 */
public final class OnnxParityAssert {
    private static final String BATCH = "N";

    private final Block block;
    private final List<Example> examples = new ArrayList<>();
    private final List<String> outputNames = new ArrayList<>();
    private String description;
    private boolean fixedShapes;
    private int opset = OnnxExport.DEFAULT_OPSET;
    private long[] traceBatchSizes;
    private Path file;
    private RuntimeOptions runtimeOptions = RuntimeOptions.defaults();

    /** An example input: the graph input's name and the array fed under it. */
    private record Example(String name, NDArray array) {}

    OnnxParityAssert(Block block) {
        this.block = block;
    }

    /**
     * Names the block in failure messages (default: its class's simple name).
     *
     * @param description what the block is, such as {@code "the classifier head"}
     * @return this assertion
     */
    public OnnxParityAssert as(String description) {
        this.description = description;
        return this;
    }

    /**
     * Adds example inputs, in the order the block's forward pass takes them, named {@code input_0},
     * {@code input_1}, ... by their position among all inputs.
     *
     * @param arrays one array per input; the exported inputs take their data types and shapes
     * @return this assertion
     * @throws IllegalArgumentException when an array is null
     */
    public OnnxParityAssert withInputs(NDArray... arrays) {
        for (NDArray array : arrays) {
            withInput("input_" + examples.size(), array);
        }
        return this;
    }

    /**
     * Adds the example inputs of a list, as {@link #withInputs(NDArray...)} does.
     *
     * @param arrays one array per input, in the order the forward pass takes them
     * @return this assertion
     */
    public OnnxParityAssert withInputs(NDList arrays) {
        return withInputs(arrays.toArray(NDArray[]::new));
    }

    /**
     * Adds a named example input, after those already given.
     *
     * @param name the input's name in the exported graph
     * @param example the array fed under that name; the exported input takes its data type and shape
     * @return this assertion
     * @throws IllegalArgumentException when the name is blank or taken, or the array is null
     */
    public OnnxParityAssert withInput(String name, NDArray example) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("an input needs a name");
        }
        if (example == null) {
            throw new IllegalArgumentException("input \"" + name + "\" has no example array (null)");
        }
        for (Example existing : examples) {
            if (existing.name().equals(name)) {
                throw new IllegalArgumentException("input \"" + name + "\" is given twice");
            }
        }
        examples.add(new Example(name, example));
        return this;
    }

    /**
     * Exports every input with its example's shape, the batch dimension included: for blocks whose
     * graph holds at one batch size only, or inputs without a common batch dimension.
     *
     * @return this assertion
     */
    public OnnxParityAssert withFixedShapes() {
        this.fixedShapes = true;
        return this;
    }

    /**
     * Names the outputs in the exported graph, in the order the forward pass returns them
     * (default {@code output_0}, {@code output_1}, ...).
     *
     * @param names one name per output
     * @return this assertion
     */
    public OnnxParityAssert outputNames(String... names) {
        outputNames.clear();
        outputNames.addAll(List.of(names));
        return this;
    }

    /**
     * The ONNX opset to export for.
     *
     * @param opset {@value OnnxExport#MIN_OPSET} to {@value OnnxExport#MAX_OPSET}; default {@value OnnxExport#DEFAULT_OPSET}
     * @return this assertion
     */
    public OnnxParityAssert opset(int opset) {
        this.opset = opset;
        return this;
    }

    /**
     * The two batch sizes the exporter traces the block at (default 2 and 3): for blocks that need
     * larger batches or treat some sizes specially. Ignored with {@link #withFixedShapes()}.
     *
     * @param first one batch size
     * @param second another batch size
     * @return this assertion
     * @throws IllegalArgumentException unless both are positive and different
     */
    public OnnxParityAssert tracedAtBatchSizes(long first, long second) {
        if (first < 1 || second < 1 || first == second) {
            throw new IllegalArgumentException("trace batch sizes must be two different positive sizes, got "
                    + first + " and " + second);
        }
        this.traceBatchSizes = new long[] {first, second};
        return this;
    }

    /**
     * Where to write the exported model, to keep or inspect it; parent directories are created.
     * Default: a temporary file, deleted when the JVM exits.
     *
     * @param file the {@code .onnx} file
     * @return this assertion
     */
    public OnnxParityAssert exportedAs(Path file) {
        this.file = file;
        return this;
    }

    /**
     * How ONNX Runtime opens the model (default {@link RuntimeOptions#defaults()}: CUDA where the
     * build and the machine have it, else the CPU).
     *
     * @param options the runtime options
     * @return this assertion
     */
    public OnnxParityAssert runtimeOptions(RuntimeOptions options) {
        this.runtimeOptions = options;
        return this;
    }

    /**
     * Asserts that every output element of ONNX Runtime is within {@code atol} of DJL's.
     *
     * @param atol the absolute tolerance, at least 0
     * @return the comparisons, when every output matches
     * @throws AssertionFailedError when the export fails, ONNX Runtime cannot run it, or an output
     *     differs in shape, type or beyond the tolerance; the message names the output, the worst
     *     element's coordinates and both values
     * @throws IllegalArgumentException when the tolerance is negative
     * @throws IllegalStateException when no example input was given, or the inputs' first
     *     dimensions differ while the batch is dynamic
     */
    public OnnxParityResult matchesWithin(double atol) {
        return matchesWithin(new Tolerance(atol, 0));
    }

    /**
     * Asserts that every output element of ONNX Runtime is within {@code atol} of DJL's, or within
     * {@code rtol · |DJL's value|}.
     *
     * @param atol the absolute tolerance, at least 0
     * @param rtol the relative tolerance, at least 0
     * @return the comparisons, when every output matches
     * @throws AssertionFailedError as {@link #matchesWithin(double)} does
     * @throws IllegalArgumentException when a tolerance is negative
     * @throws IllegalStateException as {@link #matchesWithin(double)} does
     */
    public OnnxParityResult matchesWithin(double atol, double rtol) {
        return matchesWithin(new Tolerance(atol, rtol));
    }

    /**
     * Asserts that every output element of ONNX Runtime is within the tolerance of DJL's.
     *
     * @param tolerance how far ONNX Runtime may be from DJL
     * @return the comparisons, when every output matches
     * @throws AssertionFailedError as {@link #matchesWithin(double)} does
     * @throws IllegalStateException as {@link #matchesWithin(double)} does
     */
    public OnnxParityResult matchesWithin(Tolerance tolerance) {
        if (examples.isEmpty()) {
            throw new IllegalStateException("give the block's example inputs with withInputs(...) or withInput(name,"
                    + " array) before matchesWithin");
        }
        String subject = subject();
        Path model = export(subject);
        List<NamedTensor> feeds = examples.stream().map(e -> DjlTensors.named(e.name(), e.array())).toList();
        Map<String, NamedTensor> onnx = runOnnx(subject, model, feeds);
        List<NamedTensor> djl = runDjl(feeds);
        List<TensorComparison> comparisons = new ArrayList<>();
        for (NamedTensor expected : djl) {
            NamedTensor actual = onnx.get(expected.name());
            comparisons.add(actual == null ? TensorComparison.missing(expected)
                    : TensorComparison.of(expected, actual, tolerance));
        }
        if (comparisons.stream().anyMatch(c -> !c.passed())) {
            String message = FailureMessages.differs(subject, comparisons, tolerance);
            throw new AssertionFailedError(file != null ? message + "\nthe exported model is " + model : message);
        }
        return new OnnxParityResult(subject, model, tolerance, comparisons);
    }

    private String subject() {
        if (description != null) {
            return description;
        }
        String simple = block.getClass().getSimpleName();
        return simple.isEmpty() ? block.getClass().getName() : simple;
    }

    /** Writes the export, or fails the assertion with the exporter's message. */
    private Path export(String subject) {
        OnnxExport export = OnnxExport.of(block).opset(opset);
        boolean dynamic = !fixedShapes && batchSize() > 0;
        for (Example example : examples) {
            long[] dims = example.array().getShape().getShape();
            List<Dim> shape = new ArrayList<>();
            for (int axis = 0; axis < dims.length; axis++) {
                shape.add(axis == 0 && dynamic ? Dim.named(BATCH) : Dim.of(dims[axis]));
            }
            export.input(new TensorSpec(example.name(), example.array().getDataType(), shape));
        }
        if (!outputNames.isEmpty()) {
            export.output(outputNames.toArray(String[]::new));
        }
        if (dynamic && traceBatchSizes != null) {
            export.traceSizes(BATCH, traceBatchSizes[0], traceBatchSizes[1]);
        }
        try {
            Path target = file != null ? file : temporaryFile();
            Path parent = target.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Path data = export.write(target);
            if (file == null && data != null) {
                data.toFile().deleteOnExit();
            }
            return target;
        } catch (OnnxExportException e) {
            throw new AssertionFailedError("ONNX export of " + subject + " fails: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the ONNX export of " + subject + ": " + e.getMessage(), e);
        }
    }

    /**
     * The common first dimension of the inputs that have one, or 0 when none has; a dynamic batch
     * needs one size for all of them.
     */
    private long batchSize() {
        Set<Long> sizes = new LinkedHashSet<>();
        for (Example example : examples) {
            if (example.array().getShape().dimension() > 0) {
                sizes.add(example.array().getShape().get(0));
            }
        }
        if (sizes.size() > 1) {
            throw new IllegalStateException("the example inputs' first dimensions differ (" + sizes + "), so they"
                    + " cannot share a dynamic batch dimension; give them one batch size, or call withFixedShapes()");
        }
        return sizes.isEmpty() ? 0 : sizes.iterator().next();
    }

    /** A file in a new temporary directory, both deleted when the JVM exits (the file first). */
    private static Path temporaryFile() throws IOException {
        Path dir = Files.createTempDirectory("dualnet-onnx-parity-");
        dir.toFile().deleteOnExit();
        Path target = dir.resolve("model.onnx");
        target.toFile().deleteOnExit();
        return target;
    }

    /** ONNX Runtime's outputs for the examples, or a failed assertion when it cannot run the export. */
    private Map<String, NamedTensor> runOnnx(String subject, Path model, List<NamedTensor> feeds) {
        try (OnnxModel onnx = OnnxModel.load(model, runtimeOptions)) {
            return onnx.run(feeds, Set.of());
        } catch (ModelLoadException | InferenceException | InvalidInputException e) {
            throw new AssertionFailedError("ONNX Runtime cannot run the export of " + subject + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * The block's own inference outputs for the examples, named as the graph names them. The inputs
     * are copies in a scope of their own, so nothing the forward pass makes outlives it.
     */
    private List<NamedTensor> runDjl(List<NamedTensor> feeds) {
        try (NDManager scope = examples.get(0).array().getManager().newSubManager()) {
            NDList inputs = new NDList();
            for (NamedTensor feed : feeds) {
                inputs.add(DjlTensors.array(feed, scope));
            }
            NDList results = block.forward(new ParameterStore(scope, false), inputs, false);
            List<NamedTensor> outputs = new ArrayList<>();
            for (int i = 0; i < results.size(); i++) {
                String name = outputNames.isEmpty() ? "output_" + i : outputNames.get(i);
                outputs.add(DjlTensors.named(name, results.get(i)));
            }
            return outputs;
        }
    }
}
