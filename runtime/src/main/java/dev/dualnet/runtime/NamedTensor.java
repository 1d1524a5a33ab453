package dev.dualnet.runtime;

import java.lang.reflect.Array;
import java.util.Arrays;

/**
 * A tensor's data in a flat Java array (row-major) with its shape.
 *
 * @param name tensor name
 * @param type element type
 * @param shape dimensions
 * @param data a primitive array of {@link ElementType#arrayType()}, as many elements as the shape holds
 */
public record NamedTensor(String name, ElementType type, long[] shape, Object data) {
    public NamedTensor {
        shape = shape.clone();
        if (data == null || data.getClass() != type.arrayType()) {
            throw new InvalidInputException("tensor '" + name + "': " + type + " data must be a "
                    + type.arrayType().getSimpleName() + ", got " + (data == null ? "null" : data.getClass().getSimpleName()));
        }
        long expected = elementCount(shape);
        int actual = Array.getLength(data);
        if (expected != actual) {
            throw new InvalidInputException("tensor '" + name + "': shape " + Arrays.toString(shape) + " holds "
                    + expected + " values, got " + actual);
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * Number of elements a shape holds.
     *
     * @throws InvalidInputException for negative dimensions
     */
    public static long elementCount(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            if (dim < 0) {
                throw new InvalidInputException("negative dimension in shape " + Arrays.toString(shape));
            }
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }
}
