package dev.dualnet.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The input convolution computes what DJL's {@link Conv2d} computes, forward and backward, whichever
 * path it takes.
 */
class InputConv2dTest {
    private static final int BATCH = 8;
    private static final int SIZE = 12;

    @ParameterizedTest(name = "{0} input channel(s), {1} filters, padding {2}")
    @CsvSource({"1, 6, 0", "1, 4, 2", "3, 5, 1"})
    void itsOwnWeightGradientMatchesAutogradsAndItsOutputIsTheSame(int channels, int filters, int padding) {
        Engine.getEngine("PyTorch").setRandomSeed(5);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            InputConv2d mine = InputConv2d.of(filters, 5, padding);
            Conv2d reference = Conv2d.builder().setFilters(filters).setKernelShape(new Shape(5, 5))
                    .optPadding(new Shape(padding, padding)).build();
            Shape inputShape = new Shape(BATCH, channels, SIZE, SIZE);
            initialise(reference, manager, inputShape);
            initialise(mine, manager, inputShape);
            copyParameters(reference, mine);
            NDArray input = manager.randomUniform(0, 1, inputShape);
            long outSize = SIZE + 2L * padding - 4;
            NDArray upstream = manager.randomNormal(new Shape(BATCH, filters, outSize, outSize));

            Gradients expected = gradients(reference, input, upstream, manager);
            Gradients actual = gradients(mine, input, upstream, manager);

            assertThat(actual.deferred()).as("the input convolution computed its own gradient").isTrue();
            assertThat(expected.deferred()).isFalse();
            assertThat(actual.output()).containsExactly(expected.output());
            assertClose(actual.weight(), expected.weight());
            assertClose(actual.bias(), expected.bias());
        }
    }

    @ParameterizedTest(name = "input needs a gradient: {0}")
    @CsvSource({"true", "false"})
    void anInputThatNeedsAGradientOrInferenceTakesTheOrdinaryPath(boolean inputNeedsGradient) {
        Engine.getEngine("PyTorch").setRandomSeed(6);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            InputConv2d mine = InputConv2d.of(4, 5, 0);
            Shape inputShape = new Shape(BATCH, 1, SIZE, SIZE);
            initialise(mine, manager, inputShape);
            NDArray input = manager.randomUniform(0, 1, inputShape);
            ParameterStore store = new ParameterStore(manager, false);
            if (inputNeedsGradient) {
                input.setRequiresGradient(true);
                try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                    NDArray out = mine.forward(store, new NDList(input), true).singletonOrThrow();
                    assertThat(mine.deferredGradients()).isEmpty();
                    collector.backward(out.sum());
                }
                assertThat(input.getGradient().abs().sum().getFloat()).as("the input's gradient").isPositive();
            } else {
                mine.forward(store, new NDList(input), false);
                assertThat(mine.deferredGradients()).isEmpty();
            }
        }
    }

    private record Gradients(float[] output, float[] weight, float[] bias, boolean deferred) {}

    /**
     * Runs forward and backward of sum(conv(input) * upstream); the gradients are autograd's, or the
     * block's own where it computed them.
     */
    private static Gradients gradients(Conv2d block, NDArray input, NDArray upstream, NDManager manager) {
        ParameterStore store = new ParameterStore(manager, false);
        NDArray weight = block.getParameters().get("weight").getArray();
        NDArray bias = block.getParameters().get("bias").getArray();
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector();
                NDManager scope = manager.newSubManager()) {
            scope.tempAttachAll(input, upstream);
            NDArray out = block.forward(store, new NDList(input), true).singletonOrThrow();
            float[] output = out.toFloatArray();
            collector.backward(out.mul(upstream).sum());
            List<ParameterGradient> own = block instanceof InputConv2d mine ? mine.deferredGradients() : List.of();
            if (own.isEmpty()) {
                return new Gradients(
                        output, weight.getGradient().toFloatArray(), bias.getGradient().toFloatArray(), false);
            }
            assertThat(own).hasSize(2);
            assertThat(own.get(0).parameter()).isSameAs(weight);
            assertThat(own.get(1).parameter()).isSameAs(bias);
            assertThat(own.get(0).gradient().getShape()).isEqualTo(weight.getShape());
            assertThat(own.get(1).gradient().getShape()).isEqualTo(bias.getShape());
            return new Gradients(
                    output, own.get(0).gradient().toFloatArray(), own.get(1).gradient().toFloatArray(), true);
        }
    }

    private static void initialise(Block block, NDManager manager, Shape inputShape) {
        block.initialize(manager, DataType.FLOAT32, inputShape);
        block.getParameters().values().forEach(p -> p.getArray().setRequiresGradient(true));
    }

    private static void copyParameters(Block from, Block to) {
        for (String name : new String[] {"weight", "bias"}) {
            to.getParameters().get(name).getArray().set(from.getParameters().get(name).getArray().toByteBuffer());
        }
    }

    /** Equal up to float rounding: the two compute the same sums in different orders. */
    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        double largest = 0;
        for (float e : expected) {
            largest = Math.max(largest, Math.abs(e));
        }
        assertThat(largest).as("a real gradient").isGreaterThan(1e-3);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("element %d", i).isCloseTo(expected[i], org.assertj.core.api.Assertions.within(1e-5 * largest));
        }
    }
}
