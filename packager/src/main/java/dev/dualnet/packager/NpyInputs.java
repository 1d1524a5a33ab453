package dev.dualnet.packager;

import dev.dualnet.common.UserException;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.TensorSpec;
import dev.dualnet.parity.Npy;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A user's own parity inputs: one {@code NAME.npy} per model input in a directory, each of the
 * input's type and rank, fixed dimensions as declared and every dynamic dimension of one size
 * across the files.
 */
final class NpyInputs {
    private NpyInputs() {}

    /**
     * @throws UserException naming the file and what is wrong with it
     */
    static Map<String, NamedTensor> read(Path dir, List<TensorSpec> specs) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new UserException("--parity-inputs " + dir + " is not a directory: expected one NAME.npy per input");
        }
        Map<String, NamedTensor> inputs = new LinkedHashMap<>();
        Map<String, Long> sizes = new HashMap<>();
        for (TensorSpec spec : specs) {
            Path file = dir.resolve(spec.name() + ".npy");
            if (!Files.isRegularFile(file)) {
                throw new UserException("--parity-inputs " + dir + " has no " + file.getFileName() + " for input '"
                        + spec.name() + "'");
            }
            NamedTensor tensor;
            try {
                tensor = Npy.read(file);
            } catch (IOException e) {
                throw new UserException(e.getMessage(), e);
            }
            ElementType expected = DjlTensors.elementType(spec.dataType());
            if (tensor.type() != expected) {
                throw new UserException(file + " holds " + ParityInputs.typeName(tensor.type()) + ", but input '"
                        + spec.name() + "' is " + ParityInputs.typeName(expected));
            }
            long[] shape = tensor.shape();
            if (shape.length != spec.rank()) {
                throw new UserException(file + " has shape " + java.util.Arrays.toString(shape) + ", but input '"
                        + spec.name() + "' has rank " + spec.rank() + " (" + spec + ")");
            }
            for (int axis = 0; axis < shape.length; axis++) {
                Dim dim = spec.shape().get(axis);
                if (dim.isFixed() && dim.size() != shape[axis]) {
                    throw new UserException(file + " has size " + shape[axis] + " on axis " + axis + ", but input '"
                            + spec.name() + "' declares " + dim.size());
                }
                if (!dim.isFixed()) {
                    String symbol = dim.toString();
                    Long seen = sizes.putIfAbsent(symbol, shape[axis]);
                    if (seen != null && seen != shape[axis]) {
                        throw new UserException(file + " has size " + shape[axis] + " for dimension " + symbol
                                + ", another input " + seen + ": a named dimension has one size");
                    }
                }
            }
            inputs.put(spec.name(), new NamedTensor(spec.name(), tensor.type(), shape, tensor.data()));
        }
        return inputs;
    }
}
