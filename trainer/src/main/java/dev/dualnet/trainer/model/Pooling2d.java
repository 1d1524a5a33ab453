package dev.dualnet.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * 2-D pooling over NCHW input with a square window, no padding and floor rounding.
 *
 * <p>DJL's {@code Pool.*Pool2dBlock} factories hide kernel and stride inside a lambda; these
 * blocks keep them readable so an exporter can emit the matching pooling node.
 */
public abstract sealed class Pooling2d extends AbstractBlock permits MaxPool2d, AvgPool2d {
    private static final byte VERSION = 1;
    static final Shape NO_PADDING = new Shape(0, 0);

    private final Shape kernel;
    private final Shape stride;

    Pooling2d(int kernel, int stride) {
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

    /** Pools one NCHW array. */
    abstract NDArray pool(NDArray input, Shape kernel, Shape stride);

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(pool(inputs.singletonOrThrow(), kernel, stride));
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
        return getClass().getSimpleName() + "(kernel=" + kernel.get(0) + ", stride=" + stride.get(0) + ")";
    }
}
