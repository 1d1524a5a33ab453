package dev.dualnet.trainer.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Computes {@code (x - mean) / std} with fixed constants, so input normalisation travels with the
 * network and every runtime feeds the same raw [0, 1] pixels.
 */
public final class Standardize extends AbstractBlock {
    private static final byte VERSION = 1;

    private final float mean;
    private final float std;

    public Standardize(float mean, float std) {
        super(VERSION);
        if (!(std > 0) || !Float.isFinite(mean) || !Float.isFinite(std)) {
            throw new IllegalArgumentException("need a finite mean and a positive std: " + mean + ", " + std);
        }
        this.mean = mean;
        this.std = std;
    }

    public float getMean() {
        return mean;
    }

    public float getStd() {
        return std;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(inputs.singletonOrThrow().sub(mean).div(std));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    public String toString() {
        return "Standardize(mean=" + mean + ", std=" + std + ")";
    }
}
