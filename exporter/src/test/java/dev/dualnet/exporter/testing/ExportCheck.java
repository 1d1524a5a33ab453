package dev.dualnet.exporter.testing;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.ExportedModel;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * Exports a block, checks the file with the ONNX checker, and runs it in ONNX Runtime against the
 * block's own forward pass on the same random inputs, at several sizes of the dynamic dimensions.
 */
public final class ExportCheck {
    /** Makes one input array of a shape. */
    @FunctionalInterface
    public interface Generator {
        NDArray make(NDManager manager, Shape shape, Random random);
    }

    private final Block block;
    private final NDManager manager;
    private final List<TensorSpec> inputs = new ArrayList<>();
    private final Map<String, Generator> generators = new LinkedHashMap<>();
    private final Map<String, long[]> traceSizes = new LinkedHashMap<>();
    private final List<Map<String, Long>> runs = new ArrayList<>();
    private int opset = OnnxExport.DEFAULT_OPSET;
    private double tolerance = 1e-5;
    private UnaryOperator<NDList> andThen;
    private boolean checker = true;
    private boolean allowSqueezedShapes;
    private boolean matchNonFinite;
    private boolean runtimeOptimizations = true;
    private UnaryOperator<NDList> reference;

    private ExportCheck(Block block, NDManager manager) {
        this.block = block;
        this.manager = manager;
    }

    public static ExportCheck of(Block block, NDManager manager) {
        return new ExportCheck(block, manager);
    }

    /** An input whose shape is text such as {@code N,3,32,32}; floats are uniform in [-1, 1), integers 0, booleans random. */
    public ExportCheck input(String name, DataType type, String shape) {
        inputs.add(new TensorSpec(name, type, Dim.parseShape(shape)));
        return this;
    }

    public ExportCheck input(String name, DataType type, String shape, Generator generator) {
        input(name, type, shape);
        generators.put(name, generator);
        return this;
    }

    /** Integers uniform in [0, bound). */
    public static Generator integers(long bound) {
        return (manager, shape, random) -> {
            long[] values = new long[Math.toIntExact(shape.size())];
            for (int i = 0; i < values.length; i++) {
                values[i] = (long) (random.nextDouble() * bound);
            }
            return manager.create(values, shape);
        };
    }

    /** Pixels: uniform in [0, 1). */
    public static Generator pixels() {
        return (manager, shape, random) -> {
            float[] values = new float[Math.toIntExact(shape.size())];
            for (int i = 0; i < values.length; i++) {
                values[i] = random.nextFloat();
            }
            return manager.create(values, shape);
        };
    }

    public ExportCheck opset(int opset) {
        this.opset = opset;
        return this;
    }

    public ExportCheck tolerance(double tolerance) {
        this.tolerance = tolerance;
        return this;
    }

    public ExportCheck traceSizes(String dim, long first, long second) {
        traceSizes.put(dim, new long[] {first, second});
        return this;
    }

    public ExportCheck andThen(UnaryOperator<NDList> function) {
        this.andThen = function;
        return this;
    }

    /** Runs ONNX Runtime at these sizes of the dynamic dimensions (as {@code "N", 7}). */
    public ExportCheck at(Map<String, Long> sizes) {
        runs.add(Map.copyOf(sizes));
        return this;
    }

    /** Runs at batch sizes, the dimension {@code N}. */
    public ExportCheck batches(long... sizes) {
        for (long size : sizes) {
            runs.add(Map.of("N", size));
        }
        return this;
    }

    /**
     * Accepts an output whose shape differs from DJL's only by axes of size 1 (DJL's
     * {@code squeeze()} removes a batch axis of 1 that the exported graph keeps).
     */
    public ExportCheck allowSqueezedShapes() {
        this.allowSqueezedShapes = true;
        return this;
    }

    /**
     * Compares NaN and infinite outputs by value: each must sit where DJL's does (NaN for NaN, the
     * same infinity for an infinity); the error is measured over the finite elements.
     */
    public ExportCheck matchNonFinite() {
        this.matchNonFinite = true;
        return this;
    }

    /**
     * Computes the expected outputs from the inputs with this function instead of the block's
     * forward pass, for methods the engine cannot compute (the PyTorch engine has no PReLU kernel).
     */
    public ExportCheck expected(UnaryOperator<NDList> reference) {
        this.reference = reference;
        return this;
    }

    /**
     * Runs ONNX Runtime without its graph optimizations, for graphs whose fusions it gets wrong
     * (it fuses x · sigmoid(a · x) of float64 into a QuickGelu it has no float64 kernel for).
     */
    public ExportCheck withoutRuntimeOptimizations() {
        this.runtimeOptimizations = false;
        return this;
    }

    /** Leaves out the ONNX checker, for models of an opset the installed checker does not know. */
    public ExportCheck withoutChecker() {
        this.checker = false;
        return this;
    }

    /** The largest absolute difference per run and output. */
    public record Result(Path model, List<List<Double>> maxErrors, List<String> warnings) {}

    /** Exports into {@code dir} and compares. */
    public Result run(Path dir) throws Exception {
        OnnxExport export = OnnxExport.of(block).opset(opset);
        inputs.forEach(export::input);
        traceSizes.forEach((dim, pair) -> export.traceSizes(dim, pair[0], pair[1]));
        if (andThen != null) {
            export.andThen(andThen);
        }
        Path model = dir.resolve("model.onnx");
        List<String> warnings;
        try (ExportedModel exported = export.export()) {
            exported.write(model);
            warnings = exported.warnings();
        }
        if (checker && opset <= OnnxChecker.maxOpset()) {
            OnnxChecker.check(model);
        }
        List<List<Double>> errors = new ArrayList<>();
        Random random = new Random(7);
        try (OnnxRuntimeRunner runtime = new OnnxRuntimeRunner(model, runtimeOptimizations)) {
            for (Map<String, Long> sizes : runs.isEmpty() ? List.of(Map.<String, Long>of()) : runs) {
                try (NDManager scope = manager.newSubManager()) {
                    NDList in = new NDList();
                    for (TensorSpec spec : inputs) {
                        long[] dims = spec.shape().stream().mapToLong(d -> d.evaluate(s -> {
                            Long size = sizes.get(s);
                            if (size == null) {
                                throw new IllegalArgumentException("no size given for " + s);
                            }
                            return size;
                        })).toArray();
                        in.add(make(scope, spec, new Shape(dims), random));
                    }
                    // Copies: DJL's recurrent blocks append their zero initial states to the list they are
                    // given, and in-place methods change the arrays they are called on.
                    NDList copies = new NDList();
                    in.forEach(array -> copies.add(array.duplicate()));
                    NDList expected = reference != null ? reference.apply(copies)
                            : block.forward(new ParameterStore(scope, false), copies, false);
                    if (andThen != null) {
                        expected = andThen.apply(expected);
                    }
                    NDList actual = runtime.run(in, scope);
                    assertThat(actual).as("outputs at %s", sizes).hasSameSizeAs(expected);
                    List<Double> runErrors = new ArrayList<>();
                    for (int i = 0; i < expected.size(); i++) {
                        runErrors.add(compare(expected.get(i), actual.get(i), sizes, i));
                    }
                    errors.add(runErrors);
                }
            }
        }
        return new Result(model, errors, warnings);
    }

    private NDArray make(NDManager scope, TensorSpec spec, Shape shape, Random random) {
        Generator generator = generators.get(spec.name());
        if (generator != null) {
            return generator.make(scope, shape, random).toType(spec.dataType(), false);
        }
        DataType type = spec.dataType();
        int size = Math.toIntExact(shape.size());
        if (type.isFloating()) {
            float[] values = new float[size];
            for (int i = 0; i < size; i++) {
                values[i] = random.nextFloat() * 2 - 1;
            }
            return scope.create(values, shape).toType(type, false);
        }
        if (type == DataType.BOOLEAN) {
            boolean[] values = new boolean[size];
            for (int i = 0; i < size; i++) {
                values[i] = random.nextBoolean();
            }
            return scope.create(values, shape);
        }
        return scope.zeros(shape, type);
    }

    private static java.util.List<Long> squeezed(Shape shape) {
        return java.util.Arrays.stream(shape.getShape()).filter(d -> d != 1).boxed().toList();
    }

    private double compare(NDArray expected, NDArray actual, Map<String, Long> sizes, int output) {
        assertThat(actual.getDataType()).as("type of output %d at %s", output, sizes).isEqualTo(expected.getDataType());
        if (allowSqueezedShapes) {
            assertThat(squeezed(actual.getShape())).as("shape of output %d at %s", output, sizes)
                    .isEqualTo(squeezed(expected.getShape()));
            actual = actual.reshape(expected.getShape());
        } else {
            assertThat(actual.getShape()).as("shape of output %d at %s", output, sizes).isEqualTo(expected.getShape());
        }
        if (expected.size() == 0) {
            return 0;
        }
        NDArray e = expected.toType(DataType.FLOAT64, false);
        NDArray a = actual.toType(DataType.FLOAT64, false);
        if (matchNonFinite) {
            NDArray nonFinite = e.isNaN().logicalOr(e.isInfinite()).logicalOr(a.isNaN()).logicalOr(a.isInfinite());
            NDArray same = e.eq(a).logicalOr(e.isNaN().logicalAnd(a.isNaN()));
            long mismatched = nonFinite.logicalAnd(same.logicalNot()).countNonzero().getLong();
            assertThat(mismatched).as("non-finite elements of output %d at %s that differ (expected %s, actual %s)",
                    output, sizes, expected, actual).isZero();
            NDArray zeros = e.zerosLike();
            e = NDArrays.where(nonFinite, zeros, e);
            a = NDArrays.where(nonFinite, zeros, a);
        }
        double error = e.sub(a).abs().max().getDouble();
        if (Boolean.getBoolean("dualnet.test.verbose")) {
            System.out.printf("output %d at %s: max |expected| %.4g, max error %.3g%n", output, sizes,
                    e.abs().max().getDouble(), error);
        }
        assertThat(error).as("largest difference of output %d at %s", output, sizes).isLessThanOrEqualTo(tolerance);
        return error;
    }
}
