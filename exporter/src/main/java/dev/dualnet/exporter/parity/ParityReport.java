package dev.dualnet.exporter.parity;

import dev.dualnet.runtime.parity.OutputComparison;
import java.util.List;

/**
 * The outcome of a parity check.
 *
 * @param reference what the runtime was compared with: "engine" (DJL/PyTorch) or "bundle"
 * @param model the ONNX file checked
 * @param referencePath the checkpoint or bundle compared with
 * @param executionProvider where ONNX Runtime ran
 * @param samples samples compared
 * @param atol absolute tolerance
 * @param rtol relative tolerance
 * @param outputs one comparison per output
 * @param passed whether every output passed
 */
public record ParityReport(String reference, String model, String referencePath, String executionProvider,
        int samples, double atol, double rtol, List<OutputComparison> outputs, boolean passed) {}
