package dev.dualnet.exporter.graph;

import java.util.Arrays;

/**
 * A tensor in the graph being built: its name, ONNX element type and shape. A dimension of
 * {@link #BATCH} is the symbolic batch dimension {@value OnnxGraph#BATCH_DIM}.
 *
 * @param name unique tensor name in the graph
 * @param elementType an {@code onnx.TensorProto.DataType} number
 * @param shape dimensions, {@link #BATCH} for the batch dimension
 */
public record Value(String name, int elementType, long[] shape) {
    public static final long BATCH = -1;

    public Value {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int axis) {
        return shape[axis];
    }

    /** Product of all dimensions after the first. */
    public long featuresPerSample() {
        long product = 1;
        for (int i = 1; i < shape.length; i++) {
            product *= shape[i];
        }
        return product;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Value v && v.name.equals(name) && v.elementType == elementType
                && Arrays.equals(v.shape, shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
