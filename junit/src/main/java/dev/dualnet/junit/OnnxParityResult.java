package dev.dualnet.junit;

import dev.dualnet.parity.TensorComparison;
import dev.dualnet.parity.Tolerance;
import java.nio.file.Path;
import java.util.List;

/**
 * What a passed ONNX parity assertion compared, for further checks: the exported file and each
 * output's comparison (its largest errors and worst element show the margin left).
 *
 * @param subject what the assertion names: the block's class, or the description given with
 *     {@link OnnxParityAssert#as(String)}
 * @param model the exported ONNX file; a temporary one is deleted when the JVM exits
 * @param tolerance the tolerance every element met
 * @param outputs one comparison per output, in the order the forward pass returns them, DJL's
 *     values as expected and ONNX Runtime's as actual
 */
public record OnnxParityResult(String subject, Path model, Tolerance tolerance, List<TensorComparison> outputs) {
    /** Copies the list of comparisons. */
    public OnnxParityResult {
        outputs = List.copyOf(outputs);
    }

    /**
     * The comparison of one output.
     *
     * @param name the output's name in the exported graph
     * @return its comparison
     * @throws IllegalArgumentException naming the outputs there are, when there is no such output
     */
    public TensorComparison output(String name) {
        for (TensorComparison output : outputs) {
            if (output.name().equals(name)) {
                return output;
            }
        }
        throw new IllegalArgumentException("no output \"" + name + "\"; the outputs are "
                + outputs.stream().map(TensorComparison::name).toList());
    }

    /** The largest |ONNX Runtime - DJL| over all elements of all outputs. */
    public double maxAbsError() {
        return outputs.stream().mapToDouble(TensorComparison::maxAbsError).max().orElse(0);
    }
}
