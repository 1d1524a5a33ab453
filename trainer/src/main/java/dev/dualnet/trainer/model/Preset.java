package dev.dualnet.trainer.model;

import static dev.dualnet.common.DualNetInterface.DIGITS;
import static dev.dualnet.common.DualNetInterface.NUMBERS;
import static dev.dualnet.common.DualNetInterface.SUMS;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import dev.dualnet.common.cli.EnumIds;

/**
 * The network designs the trainer can build, each with the training settings it was tuned for.
 *
 * <p>Every preset is a {@link DualNetBlock} assembled from blocks whose structure can be read back
 * (convolutions, linears, named activation and flatten blocks, {@link MaxPool2d}, {@link OneHot},
 * {@link Standardize}), so one exporter serves all of them. The first convolution of each is an
 * {@link InputConv2d}, a {@code Conv2d} that computes its own weight gradient faster on the CPU.
 */
public enum Preset {
    /**
     * The reference design, exactly: 40,397 parameters, no normalisation, no batch norm.
     *
     * <p>Each convolution block pools before its ReLU. That computes the same function as the
     * reference's ReLU-then-pool (ReLU is monotone, so it commutes with a maximum), and the gradients
     * differ only where two values in a pooling window tie. ReLU then runs on a quarter of the values,
     * which makes a training step faster. The exporter writes the
     * reference's order back for inference.
     */
    SEED(new TrainingDefaults(10, 64, 1e-3f, "constant")) {
        @Override
        public DualNetBlock build() {
            SequentialBlock image = new SequentialBlock()
                    .add(InputConv2d.of(6, 5, 0))
                    .add(new MaxPool2d(2, 2))
                    .add(Activation.reluBlock())
                    .add(conv(12, 5, 0))
                    .add(new MaxPool2d(2, 2))
                    .add(Activation.reluBlock())
                    .add(Blocks.batchFlattenBlock());
            SequentialBlock number = new SequentialBlock()
                    .add(new OneHot(NUMBERS))
                    .add(linear(30))
                    .add(Activation.reluBlock());
            SequentialBlock joint = new SequentialBlock()
                    .add(linear(120))
                    .add(Activation.reluBlock())
                    .add(linear(60))
                    .add(Activation.reluBlock())
                    .add(linear(45))
                    .add(Activation.reluBlock());
            return new DualNetBlock(image, number, joint, linear(DIGITS), linear(SUMS),
                    DualNetBlock.SumInput.JOINT_FEATURES);
        }
    },

    /**
     * Tuned for accuracy within five minutes of training on two CPU cores: standardised input, two
     * convolutions with batch norm, a one-cycle schedule, and a sum head that reads digit x number
     * pairs, so addition is a learned lookup table and the sum is right whenever the digit is.
     */
    DEFAULT(new TrainingDefaults(8, 128, 3e-3f, "onecycle")) {
        @Override
        public DualNetBlock build() {
            SequentialBlock image = new SequentialBlock()
                    .add(new Standardize(MNIST_MEAN, MNIST_STD))
                    .add(InputConv2d.of(16, 5, 0))
                    .add(BatchNorm.builder().build())
                    .add(Activation.reluBlock())
                    .add(new MaxPool2d(2, 2))
                    .add(conv(32, 5, 0))
                    .add(BatchNorm.builder().build())
                    .add(Activation.reluBlock())
                    .add(new MaxPool2d(2, 2))
                    .add(Blocks.batchFlattenBlock());
            SequentialBlock number = new SequentialBlock()
                    .add(new OneHot(NUMBERS))
                    .add(linear(32))
                    .add(Activation.reluBlock());
            SequentialBlock joint = new SequentialBlock()
                    .add(linear(128))
                    .add(Activation.reluBlock());
            return new DualNetBlock(image, number, joint, linear(DIGITS), linear(SUMS),
                    DualNetBlock.SumInput.DIGIT_NUMBER_PAIRS);
        }
    };

    /** Shapes of one-sample inputs, batch dimension first. */
    public static final Shape IMAGE_SHAPE = new Shape(1, 1, 28, 28);
    public static final Shape NUMBER_SHAPE = new Shape(1);
    public static final DataType NUMBER_TYPE = DataType.INT64;

    /** Mean and standard deviation of the MNIST training pixels in [0, 1]. */
    static final float MNIST_MEAN = 0.1307f;
    static final float MNIST_STD = 0.3081f;

    private final TrainingDefaults defaults;

    Preset(TrainingDefaults defaults) {
        this.defaults = defaults;
    }

    /** Builds a fresh, uninitialised network of this design. */
    public abstract DualNetBlock build();

    /** The settings this design was tuned with; each can be overridden on the command line. */
    public TrainingDefaults defaults() {
        return defaults;
    }

    /** The name used on the command line and in run records. */
    public String id() {
        return EnumIds.id(this);
    }

    /**
     * Finds a preset by its command-line name.
     *
     * @throws IllegalArgumentException naming the known presets when none matches
     */
    public static Preset fromId(String id) {
        return EnumIds.parse(Preset.class, id, "preset");
    }

    /** Training settings a preset was tuned with. */
    public record TrainingDefaults(int epochs, int batchSize, float learningRate, String schedule) {}

    private static Block conv(int filters, int kernel, int padding) {
        return Conv2d.builder()
                .setFilters(filters)
                .setKernelShape(new Shape(kernel, kernel))
                .optPadding(new Shape(padding, padding))
                .build();
    }

    private static Block linear(int units) {
        return Linear.builder().setUnits(units).build();
    }
}
