package dev.dualnet.runtime;

import java.util.Arrays;

/**
 * A model input or output as the session reports it.
 *
 * @param name tensor name
 * @param type element type
 * @param shape dimensions, -1 where the model leaves a dimension open (the batch, usually)
 */
public record TensorSpec(String name, ElementType type, long[] shape) {
    public TensorSpec {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Whether {@code actual} has this rank and matches every fixed dimension. */
    public boolean accepts(long[] actual) {
        if (actual.length != shape.length) {
            return false;
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] >= 0 && shape[i] != actual[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && t.name.equals(name) && t.type == type && Arrays.equals(t.shape, shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + ":" + type + Arrays.toString(shape);
    }
}
