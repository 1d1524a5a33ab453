package dev.dualnet.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;

/** 2-D max pooling with a readable kernel and stride; see {@link Pooling2d}. */
public final class MaxPool2d extends Pooling2d {
    public MaxPool2d(int kernel, int stride) {
        super(kernel, stride);
    }

    @Override
    NDArray pool(NDArray input, Shape kernel, Shape stride) {
        return Pool.maxPool2d(input, kernel, stride, NO_PADDING, false);
    }
}
