package com.example.tinynet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import java.util.List;

/**
 * A small image classifier for 3×32×32 images: a convolution, then two poolings side by side
 * whose results are joined, then a linear layer.
 *
 * <pre>
 * image [N,3,32,32] ─► normalise ─► conv 3×3, 8 filters ─► relu ─┬─► global average ─┐
 *                                                                └─► global maximum ─┴─► concat [N,16] ─► linear ─► logits [N,classes]
 * </pre>
 */
public final class TinyNet {
    /** The images' per-pixel mean and standard deviation, which the first step takes away. */
    public static final float MEAN = 0.5f;
    /** See {@link #MEAN}. */
    public static final float STD = 0.25f;

    private TinyNet() {}

    /** A new, uninitialised network with {@code classes} outputs. */
    public static Block newBlock(int classes) {
        return newBlock(classes, new LambdaBlock(TinyNet::normalise, "normalise"));
    }

    /** The network with another first step in place of the normalisation (tests swap it). */
    static Block newBlock(int classes, Block firstStep) {
        return new SequentialBlock()
                .add(firstStep)
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(8).build())
                .add(Activation::relu)
                .add(new ParallelBlock(TinyNet::concat,
                        List.of(Pool.globalAvgPool2dBlock(), Pool.globalMaxPool2dBlock())))
                .add(Linear.builder().setUnits(classes).build());
    }

    /** (x - mean) / std. */
    static NDList normalise(NDList inputs) {
        return new NDList(inputs.singletonOrThrow().sub(MEAN).div(STD));
    }

    /** Joins the two poolings' [N,8] results into [N,16]. */
    private static NDList concat(List<NDList> branches) {
        NDArray average = branches.get(0).singletonOrThrow();
        NDArray maximum = branches.get(1).singletonOrThrow();
        return new NDList(NDArrays.concat(new NDList(average, maximum), 1));
    }
}
