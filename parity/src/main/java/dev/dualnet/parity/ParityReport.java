package dev.dualnet.parity;

import java.util.List;

/**
 * The outcome of a parity check.
 *
 * @param reference what the runtime was compared with: "engine" (the training engine) or "bundle"
 * @param model the ONNX file checked
 * @param referencePath the checkpoint or bundle compared with
 * @param executionProvider where ONNX Runtime ran
 * @param samples samples compared
 * @param tolerance the tolerance applied
 * @param outputs one comparison per reference output
 */
public record ParityReport(String reference, String model, String referencePath, String executionProvider,
        int samples, Tolerance tolerance, List<TensorComparison> outputs) {
    public ParityReport {
        outputs = List.copyOf(outputs);
    }

    /** The verdict: there are outputs, and each passed its tolerance check. */
    public boolean passed() {
        return !outputs.isEmpty() && outputs.stream().allMatch(TensorComparison::passed);
    }

    /** Whether every output with an argmax check agrees on every row; reported, not part of the verdict. */
    public boolean argmaxAgrees() {
        return outputs.stream().allMatch(o -> o.argmax() == null || o.argmax().complete());
    }
}
