package dev.dualnet.exporter.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.core.Prelu;
import ai.djl.nn.core.SparseMax;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import dev.dualnet.exporter.testing.ExportCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DJL's activations, through the static functions of {@code Activation} and through its blocks,
 * against DJL's PyTorch results at batch 1 and 7 of a dynamic first axis; PReLU, which the PyTorch
 * engine cannot compute, against DJL's definition; softmax and log-softmax on every axis; and the
 * {@code SparseMax} block.
 */
class ActivationOpsTest {
    private static final DataType F32 = DataType.FLOAT32;
    private static final DataType F64 = DataType.FLOAT64;
    private static final DataType I32 = DataType.INT32;
    private static final DataType I64 = DataType.INT64;
    private static final String SHAPE = "N,3,4";

    @TempDir
    Path dir;

    /** Uniform in [lo, hi), the first elements replaced by these values. */
    private static ExportCheck.Generator with(double lo, double hi, double... specials) {
        return (manager, shape, random) -> {
            double[] values = new double[Math.toIntExact(shape.size())];
            for (int i = 0; i < values.length; i++) {
                values[i] = i < specials.length ? specials[i] : lo + random.nextDouble() * (hi - lo);
            }
            return manager.create(values, shape);
        };
    }

    /** Floats in [-4, 4) with zero, NaN, and softplus's threshold (20) and beyond, past exp's overflow. */
    private static final ExportCheck.Generator WIDE = with(-4, 4, 0, -0.0, 19.9, 20, 20.1, 30, 100, 1000, -30, -100,
            -1000, Double.NaN);

    private static final ExportCheck.Generator INTS = (manager, shape, random) -> {
        int[] values = new int[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextInt(9) - 4;
        }
        return manager.create(values, shape);
    };

    private void check(Block block, DataType type, String shape, int opset, ExportCheck.Generator generator,
            UnaryOperator<NDList> reference, double tolerance) throws Exception {
        check(block, type, shape, opset, generator, reference, tolerance, true);
    }

    private void check(Block block, DataType type, String shape, int opset, ExportCheck.Generator generator,
            UnaryOperator<NDList> reference, double tolerance, boolean runtimeOptimizations) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ExportCheck check = ExportCheck.of(block, manager).input("x", type, shape, generator).opset(opset)
                    .tolerance(tolerance).matchNonFinite().batches(1, 7);
            if (reference != null) {
                check.expected(reference);
            }
            if (!runtimeOptimizations) {
                check.withoutRuntimeOptimizations();
            }
            check.run(dir);
        }
    }

    private void check(Block block, DataType type, int opset, ExportCheck.Generator generator) throws Exception {
        check(block, type, SHAPE, opset, generator, null, 1e-5);
    }

    private static Block lambda(Function<NDArray, NDArray> function) {
        return new LambdaBlock(list -> new NDList(function.apply(list.singletonOrThrow())));
    }

    /** The activations as static functions of an array, and as DJL's blocks (a fresh one per use). */
    static Stream<Arguments> activations() {
        List<Arguments> functions = List.of(
                activation("relu", lambda(Activation::relu), Activation::reluBlock),
                activation("relu6", lambda(Activation::relu6), Activation::relu6Block),
                activation("sigmoid", lambda(Activation::sigmoid), Activation::sigmoidBlock),
                activation("tanh", lambda(Activation::tanh), Activation::tanhBlock),
                activation("softPlus", lambda(Activation::softPlus), Activation::softPlusBlock),
                activation("softSign", lambda(Activation::softSign), Activation::softSignBlock),
                activation("leakyRelu(0.1)", lambda(x -> Activation.leakyRelu(x, 0.1f)),
                        () -> Activation.leakyReluBlock(0.1f)),
                activation("leakyRelu(-0.7)", lambda(x -> Activation.leakyRelu(x, -0.7f)),
                        () -> Activation.leakyReluBlock(-0.7f)),
                activation("elu(1)", lambda(x -> Activation.elu(x, 1f)), () -> Activation.eluBlock(1f)),
                activation("elu(0.3)", lambda(x -> Activation.elu(x, 0.3f)), () -> Activation.eluBlock(0.3f)),
                activation("selu", lambda(Activation::selu), Activation::seluBlock),
                activation("gelu", lambda(Activation::gelu), Activation::geluBlock),
                activation("swish(1)", lambda(x -> Activation.swish(x, 1f)), () -> Activation.swishBlock(1f)),
                activation("swish(1.7)", lambda(x -> Activation.swish(x, 1.7f)), () -> Activation.swishBlock(1.7f)),
                activation("mish", lambda(Activation::mish), Activation::mishBlock),
                activation("NDArray.tanh", lambda(NDArray::tanh), Activation::tanhBlock));
        return functions.stream();
    }

    private static Arguments activation(String name, Block function, Supplier<Block> block) {
        return Arguments.of(name, named("function", function), named("block", block));
    }

    @ParameterizedTest(name = "{0} opset {3}")
    @MethodSource("activationsInOpsets")
    void activationsOfFloats(String name, Block function, Supplier<Block> block, int opset) throws Exception {
        check(function, F32, opset, WIDE);
        check(block.get(), F32, opset, WIDE);
    }

    static Stream<Arguments> activationsInOpsets() {
        List<Arguments> cases = new ArrayList<>();
        for (int opset : new int[] {13, 17, 18}) {
            activations().forEach(a -> {
                Object[] args = a.get();
                cases.add(Arguments.of(args[0], args[1], args[2], opset));
            });
        }
        return cases.stream();
    }

    /**
     * Float64, where ONNX Runtime lacks several kernels (the mapping writes those activations out),
     * and fuses swish's x · sigmoid(β · x) into a QuickGelu it has no float64 kernel for
     * (microsoft/onnxruntime#32421): swish runs without its graph optimizations. Erf goes through
     * float32, so GELU is within 1e-6.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void activationsOfDoubles(String name, Block function, Supplier<Block> block) throws Exception {
        boolean optimize = !name.startsWith("swish");
        check(function, F64, SHAPE, 17, WIDE, null, 1e-6, optimize);
        check(block.get(), F64, SHAPE, 17, WIDE, null, 1e-6, optimize);
    }

    /** The activations PyTorch computes on integers: relu keeps them, the others give float32. */
    @ParameterizedTest(name = "{0} of {1}")
    @CsvSource({"relu, INT32", "relu, INT64", "relu6, INT32", "relu6, INT64", "sigmoid, INT32", "tanh, INT64",
        "softSign, INT32", "swish, INT32", "mish, INT64"})
    void activationsOfIntegers(String name, DataType type) throws Exception {
        Function<NDArray, NDArray> function = switch (name) {
            case "relu" -> Activation::relu;
            case "relu6" -> Activation::relu6;
            case "sigmoid" -> Activation::sigmoid;
            case "tanh" -> Activation::tanh;
            case "softSign" -> Activation::softSign;
            case "swish" -> x -> Activation.swish(x, 1.5f);
            default -> Activation::mish;
        };
        check(lambda(function), type, 13, INTS);
    }

    /**
     * DJL's Mish is not the usual x·tanh(ln(1 + eˣ)): its default method, which the PyTorch engine
     * keeps, takes log2; the export computes what DJL computes.
     */
    @Test
    void mishIsDjlsLogTwoForm() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(new float[] {-2, -0.5f, 0.5f, 2});
            NDArray djl = Activation.mish(x);
            NDArray log2 = x.mul(x.exp().add(1).log().div(Math.log(2)).tanh());
            NDArray ln = x.mul(x.exp().add(1).log().tanh());
            assertThat(djl.sub(log2).abs().max().getFloat()).isLessThan(1e-6f);
            assertThat(djl.sub(ln).abs().max().getFloat()).isGreaterThan(0.01f);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // PReLU

    /** DJL's definition of PReLU: max(0, x) + alpha · min(0, x). */
    private static NDArray prelu(NDArray x, NDArray alpha) {
        return x.maximum(0f).add(alpha.mul(x.minimum(0f)));
    }

    @ParameterizedTest(name = "alpha {0} opset {1}")
    @CsvSource({"0.25, 13", "0.25, 17", "-0.5, 18", "1.5, 17"})
    void preluBlock(float alpha, int opset) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = Activation.preluBlock();
            block.setInitializer(new ConstantInitializer(alpha), ai.djl.nn.Parameter.Type.WEIGHT);
            block.initialize(manager, F32, new Shape(1, 3, 4));
            NDArray parameter = block.getParameters().get("alpha").getArray();
            assertThat(parameter.getShape()).isEqualTo(new Shape());
            check(block, F32, SHAPE, opset, WIDE, list -> new NDList(prelu(list.head(), parameter)), 1e-5);
        }
    }

    /** PReLU after a layer, as networks use it: the layer runs on the engine, PReLU as defined. */
    @Test
    void preluAfterALinearLayer() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Linear linear = Linear.builder().setUnits(5).build();
            Prelu prelu = new Prelu();
            prelu.setInitializer(new ConstantInitializer(0.3f), ai.djl.nn.Parameter.Type.WEIGHT);
            SequentialBlock block = new SequentialBlock().add(linear).add(prelu);
            block.initialize(manager, F32, new Shape(1, 4));
            NDArray alpha = prelu.getParameters().get("alpha").getArray();
            check(block, F32, "N,4", 17, WIDE, list -> {
                NDArray hidden = linear.forward(new ParameterStore(manager, false), list, false).head();
                return new NDList(prelu(hidden, alpha));
            }, 1e-5);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Softmax

    @ParameterizedTest(name = "{0} axis {1} opset {2} {3}")
    @CsvSource({
        "softmax, -1, 13, FLOAT32", "softmax, -1, 17, FLOAT32", "softmax, -1, 18, FLOAT32",
        "softmax, 0, 13, FLOAT32", "softmax, 1, 17, FLOAT32", "softmax, 2, 18, FLOAT32", "softmax, -2, 13, FLOAT32",
        "softmax, -3, 17, FLOAT32", "softmax, 1, 17, FLOAT64",
        "logSoftmax, -1, 13, FLOAT32", "logSoftmax, -1, 17, FLOAT32", "logSoftmax, -1, 18, FLOAT32",
        "logSoftmax, 0, 17, FLOAT32", "logSoftmax, 1, 13, FLOAT32", "logSoftmax, -2, 18, FLOAT32",
        "logSoftmax, -3, 17, FLOAT32", "logSoftmax, 2, 17, FLOAT64",
    })
    void softmax(String name, int axis, int opset, DataType type) throws Exception {
        Function<NDArray, NDArray> function = name.equals("softmax") ? x -> x.softmax(axis) : x -> x.logSoftmax(axis);
        check(lambda(function), type, opset, with(-4, 4, 30, -30));
    }

    // ---------------------------------------------------------------------------------------------
    // SparseMax

    /**
     * SparseMax keeps the {@code topK} largest elements along an axis and normalizes their
     * exponentials: arg sort, one-hot masks from {@code get("..., {}")}, a sum with kept axes and a
     * broadcast. Ties are left out (uniform floats). A {@code topK} of 1 fails in DJL itself, whose
     * {@code NDArrays.add} wants two arrays at least.
     */
    @ParameterizedTest(name = "{0} on [{1}] opset {2}")
    @MethodSource("sparseMaxes")
    void sparseMax(Supplier<SparseMax> block, String shape, int opset) throws Exception {
        check(block.get(), F32, shape, opset, with(-2, 2), null, 1e-5);
    }

    static Stream<Arguments> sparseMaxes() {
        Supplier<SparseMax> standard = SparseMax::new;
        Supplier<SparseMax> axisOne = () -> new SparseMax(1);
        Supplier<SparseMax> topTwo = () -> new SparseMax(-1, 2);
        Supplier<SparseMax> topTwoAxisOne = () -> new SparseMax(1, 2);
        Supplier<SparseMax> all = () -> new SparseMax(-1, 5);
        return Stream.of(
                Arguments.of(named("default (axis -1, top 3)", standard), "N,3,5", 13),
                Arguments.of(named("default (axis -1, top 3)", standard), "N,3,5", 17),
                Arguments.of(named("default (axis -1, top 3)", standard), "N,3,5", 18),
                Arguments.of(named("axis 1", axisOne), "N,4,3", 17),
                Arguments.of(named("axis -1, top 2", topTwo), "N,5", 17),
                Arguments.of(named("axis 1, top 2", topTwoAxisOne), "N,5,2", 18),
                Arguments.of(named("axis -1, top 5 (all)", all), "N,2,5", 13));
    }
}
