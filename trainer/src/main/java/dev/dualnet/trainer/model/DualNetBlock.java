package dev.dualnet.trainer.model;

import static dev.dualnet.common.DualNetInterface.DIGIT;
import static dev.dualnet.common.DualNetInterface.IMAGE;
import static dev.dualnet.common.DualNetInterface.NUMBER;
import static dev.dualnet.common.DualNetInterface.SUM;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.dualnet.common.DualNetInterface;

/**
 * The two-input, two-output wiring shared by every preset.
 *
 * <pre>
 * image  [N,1,28,28] -> image trunk   -> [N,A] \
 *                                               concat [N,A+B] -> joint -> [N,C] -> digit head -> [N,10]
 * number [N] int64   -> number branch -> [N,B] /                                 \-> sum head   -> [N,19]
 * </pre>
 *
 * What the sum head reads is set by {@link SumInput}: the joint features (as above), or the
 * pairwise products of the digit probabilities with the one-hot number, which lets a single linear
 * layer learn addition as a lookup table.
 *
 * <p>Outputs are logits; softmax belongs to the loss during training and to the exported graph at
 * inference. The five parts are child blocks named {@code image}, {@code number},
 * {@value #JOINT}, {@code digit} and {@code sum} (the tensor names of {@link DualNetInterface}), which also name their parameters.
 */
public final class DualNetBlock extends AbstractBlock {
    public static final String JOINT = "joint";

    /** The concatenation axis of the image and number features. */
    public static final int CONCAT_AXIS = 1;

    private static final byte VERSION = 1;

    /** What the sum head reads. */
    public enum SumInput {
        /** The joint features, like the digit head. */
        JOINT_FEATURES,
        /**
         * The outer product of softmax(digit logits) [N,10] and one-hot(number) [N,10], flattened to
         * [N,100] with index {@code digit * 10 + number}: feature (d, n) is P(digit = d) when the
         * number is n, else 0.
         */
        DIGIT_NUMBER_PAIRS
    }

    private final Block imageTrunk;
    private final Block numberBranch;
    private final Block joint;
    private final Block digitHead;
    private final Block sumHead;
    private final SumInput sumInput;

    public DualNetBlock(Block imageTrunk, Block numberBranch, Block joint, Block digitHead, Block sumHead,
            SumInput sumInput) {
        super(VERSION);
        this.sumInput = sumInput;
        this.imageTrunk = addChildBlock(IMAGE, imageTrunk);
        this.numberBranch = addChildBlock(NUMBER, numberBranch);
        this.joint = addChildBlock(JOINT, joint);
        this.digitHead = addChildBlock(DIGIT, digitHead);
        this.sumHead = addChildBlock(SUM, sumHead);
    }

    public Block getImageTrunk() {
        return imageTrunk;
    }

    public Block getNumberBranch() {
        return numberBranch;
    }

    public Block getJoint() {
        return joint;
    }

    public Block getDigitHead() {
        return digitHead;
    }

    public Block getSumHead() {
        return sumHead;
    }

    public SumInput getSumInput() {
        return sumInput;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        if (inputs.size() != 2) {
            throw new IllegalArgumentException("expected two inputs (image, number), got " + inputs.size());
        }
        NDArray imageFeatures = imageTrunk.forward(ps, new NDList(inputs.get(0)), training).singletonOrThrow();
        NDArray numberFeatures = numberBranch.forward(ps, new NDList(inputs.get(1)), training).singletonOrThrow();
        NDArray joined = NDArrays.concat(new NDList(imageFeatures, numberFeatures), CONCAT_AXIS);
        NDList shared = joint.forward(ps, new NDList(joined), training);
        NDArray digit = digitHead.forward(ps, shared, training).singletonOrThrow();
        NDList sumFeatures = sumInput == SumInput.JOINT_FEATURES
                ? shared
                : new NDList(digitNumberPairs(digit, inputs.get(1)));
        NDArray sum = sumHead.forward(ps, sumFeatures, training).singletonOrThrow();
        return new NDList(digit, sum);
    }

    private static NDArray digitNumberPairs(NDArray digitLogits, NDArray number) {
        long n = digitLogits.getShape().get(0);
        NDArray digitProbabilities = digitLogits.softmax(1).reshape(n, DualNetInterface.DIGITS, 1);
        NDArray numberOneHot = number.oneHot(DualNetInterface.NUMBERS, DataType.FLOAT32).reshape(n, 1, DualNetInterface.NUMBERS);
        return digitProbabilities.mul(numberOneHot).reshape(n, (long) DualNetInterface.DIGITS * DualNetInterface.NUMBERS);
    }

    private Shape sumFeatureShape(Shape shared) {
        return sumInput == SumInput.JOINT_FEATURES
                ? shared
                : new Shape(shared.get(0), (long) DualNetInterface.DIGITS * DualNetInterface.NUMBERS);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        imageTrunk.initialize(manager, dataType, inputShapes[0]);
        numberBranch.initialize(manager, dataType, inputShapes[1]);
        Shape joined = joinedShape(inputShapes);
        joint.initialize(manager, dataType, joined);
        Shape shared = joint.getOutputShapes(new Shape[] {joined})[0];
        digitHead.initialize(manager, dataType, shared);
        sumHead.initialize(manager, dataType, sumFeatureShape(shared));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape shared = joint.getOutputShapes(new Shape[] {joinedShape(inputShapes)})[0];
        return new Shape[] {
            digitHead.getOutputShapes(new Shape[] {shared})[0],
            sumHead.getOutputShapes(new Shape[] {sumFeatureShape(shared)})[0]
        };
    }

    private Shape joinedShape(Shape[] inputShapes) {
        Shape image = imageTrunk.getOutputShapes(new Shape[] {inputShapes[0]})[0];
        Shape number = numberBranch.getOutputShapes(new Shape[] {inputShapes[1]})[0];
        return new Shape(image.get(0), image.get(1) + number.get(1));
    }
}
