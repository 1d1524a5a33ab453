package dev.dualnet.trainer.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * 2-D max pooling over NCHW input, no padding, floor rounding.
 *
 * <p>DJL's {@code Pool.maxPool2dBlock} hides its kernel and stride inside a lambda; this block keeps
 * them readable so an exporter can emit the matching {@code MaxPool} node.
 */
public final class MaxPool2d extends AbstractBlock {
    private static final byte VERSION = 1;

    private final Shape kernel;
    private final Shape stride;

    public MaxPool2d(int kernel, int stride) {
        super(VERSION);
        if (kernel < 1 || stride < 1) {
            throw new IllegalArgumentException("kernel and stride must be positive: " + kernel + ", " + stride);
        }
        this.kernel = new Shape(kernel, kernel);
        this.stride = new Shape(stride, stride);
    }

    public Shape getKernel() {
        return kernel;
    }

    public Shape getStride() {
        return stride;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(Pool.maxPool2d(inputs.singletonOrThrow(), kernel, stride, new Shape(0, 0), false));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        long h = (in.get(2) - kernel.get(0)) / stride.get(0) + 1;
        long w = (in.get(3) - kernel.get(1)) / stride.get(1) + 1;
        return new Shape[] {new Shape(in.get(0), in.get(1), h, w)};
    }

    @Override
    public String toString() {
        return "MaxPool2d(kernel=" + kernel.get(0) + ", stride=" + stride.get(0) + ")";
    }
}
