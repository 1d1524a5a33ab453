package dev.dualnet.runtime.config;

import dev.dualnet.runtime.ElementType;
import java.util.Arrays;
import java.util.Objects;

/**
 * One input or output of a model as the server enforces it.
 *
 * @param name the tensor's name in the model graph
 * @param type its element type
 * @param dims the shape a client sends, without the batch dimension when maxBatchSize > 0; -1 = any size
 * @param reshape the shape the graph receives instead (Triton's reshape), without the batch
 *     dimension; null when the config has no reshape
 */
public record TensorSignature(String name, ElementType type, long[] dims, long[] reshape) {
    /**
     * @throws NullPointerException when name, type or dims is null
     */
    public TensorSignature {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        dims = dims.clone();
        reshape = reshape == null ? null : reshape.clone();
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    @Override
    public long[] reshape() {
        return reshape == null ? null : reshape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSignature t && t.name.equals(name) && t.type == type && Arrays.equals(t.dims, dims)
                && Arrays.equals(t.reshape, reshape);
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + Arrays.hashCode(dims)) * 31 + Arrays.hashCode(reshape);
    }

    @Override
    public String toString() {
        return name + ":" + type + Arrays.toString(dims) + (reshape == null ? "" : "->" + Arrays.toString(reshape));
    }
}
