package dev.dualnet.exporter.trace;

import ai.djl.ndarray.index.NDIndex;
import java.util.List;

/**
 * How a trace records the arguments of an operation: arrays by value id, array lists by their
 * ids, indices by their elements; numbers, shapes, types and flags as they are. Two traces of the
 * same forward pass then differ only in the numbers that derive from dynamic sizes.
 */
public final class Args {
    private Args() {}

    /** An array argument. */
    public record Tensor(int id) {}

    /** An {@code NDList} argument. */
    public record Tensors(List<Integer> ids) {}

    /** An {@code NDManager} or {@code Device} argument, which only says where to compute. */
    public enum Placement {
        INSTANCE
    }

    /** The raw little-endian bytes of a {@code java.nio.Buffer} argument. */
    public record Data(byte[] bytes) {}

    /**
     * An {@link NDIndex}: its elements in order, with the position of its ellipsis (-1 if none).
     *
     * @param elements {@link Slice}, {@link Fixed}, {@link All}, {@link NewAxis}, {@link Mask}, {@link Pick} or {@link Take}
     */
    public record Index(List<Object> elements, int ellipsis) {}

    /** {@code start:stop:step}, each null when left out. */
    public record Slice(Long start, Long stop, Long step) {}

    /** A single position, which removes its axis. */
    public record Fixed(long index) {}

    /** {@code :} or {@code *}. */
    public enum All {
        INSTANCE
    }

    /** {@code null}: a new axis of size 1. */
    public enum NewAxis {
        INSTANCE
    }

    /** A boolean mask array. */
    public record Mask(int id) {}

    /** An array of indices picked along one axis. */
    public record Pick(int id) {}

    /** An array of indices taken along one axis. */
    public record Take(int id) {}
}
