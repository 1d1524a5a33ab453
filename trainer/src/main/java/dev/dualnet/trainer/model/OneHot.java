package dev.dualnet.trainer.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** Turns int64 class indices of shape [N] into float32 one-hot rows of shape [N, depth]. */
public final class OneHot extends AbstractBlock {
    private static final byte VERSION = 1;

    private final int depth;

    public OneHot(int depth) {
        super(VERSION);
        if (depth < 1) {
            throw new IllegalArgumentException("depth must be positive: " + depth);
        }
        this.depth = depth;
    }

    public int getDepth() {
        return depth;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(inputs.singletonOrThrow().oneHot(depth, DataType.FLOAT32));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), depth)};
    }

    @Override
    public String toString() {
        return "OneHot(depth=" + depth + ")";
    }
}
