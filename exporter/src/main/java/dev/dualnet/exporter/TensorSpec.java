package dev.dualnet.exporter;

import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A named graph input or output: element type and shape, with dynamic dimensions by name.
 *
 * @param name the tensor's name in the ONNX graph
 * @param dataType its element type
 * @param shape its dimensions
 */
public record TensorSpec(String name, DataType dataType, List<Dim> shape) {
    public TensorSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a tensor needs a name");
        }
        shape = List.copyOf(shape);
    }

    /**
     * Parses {@code NAME:DTYPE:SHAPE}, for example {@code data:float32:N,3,224,224}; DTYPE is one
     * of {@link ElementTypeNames#NAMES}.
     *
     * @throws IllegalArgumentException naming what was wrong and what is expected
     */
    public static TensorSpec parse(String text) {
        String[] parts = text.split(":", -1);
        if (parts.length != 3 || parts[0].isBlank()) {
            throw new IllegalArgumentException("input '" + text + "' is not NAME:DTYPE:SHAPE, for example"
                    + " data:float32:N,3,224,224");
        }
        return new TensorSpec(parts[0].strip(), ElementTypeNames.parse(parts[1]), Dim.parseShape(parts[2]));
    }

    public int rank() {
        return shape.size();
    }

    @Override
    public String toString() {
        return name + ":" + ElementTypeNames.name(dataType) + ":"
                + shape.stream().map(Dim::toString).collect(Collectors.joining(","));
    }
}
