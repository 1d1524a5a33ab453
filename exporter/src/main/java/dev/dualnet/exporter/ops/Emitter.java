package dev.dualnet.exporter.ops;

import java.util.List;

/** Writes the ONNX nodes of one recorded operation. */
@FunctionalInterface
public interface Emitter {
    /**
     * @return the ONNX value of each of the operation's results, in order
     */
    List<String> emit(OpContext op);
}
