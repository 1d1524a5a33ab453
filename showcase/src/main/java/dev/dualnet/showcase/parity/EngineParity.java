package dev.dualnet.showcase.parity;

import static dev.dualnet.common.DualNetInterface.DIGIT;
import static dev.dualnet.common.DualNetInterface.DIGITS;
import static dev.dualnet.common.DualNetInterface.IMAGE;
import static dev.dualnet.common.DualNetInterface.NUMBER;
import static dev.dualnet.common.DualNetInterface.SIDE;
import static dev.dualnet.common.DualNetInterface.SUM;
import static dev.dualnet.common.DualNetInterface.SUMS;

import ai.djl.Device;
import dev.dualnet.common.UserException;
import dev.dualnet.parity.ParityBundle;
import dev.dualnet.parity.ParityCheck;
import dev.dualnet.parity.ParityReport;
import dev.dualnet.parity.Tolerance;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.ModelLoadException;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.trainer.data.MnistSplit;
import dev.dualnet.trainer.model.DualNetModel;
import dev.dualnet.trainer.train.Checkpoint;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The training engine's side of parity: runs a checkpoint in DJL/PyTorch and hands its outputs to
 * the parity module as a reference, which compares them with ONNX Runtime's.
 */
public final class EngineParity {
    private EngineParity() {}

    /** The engine's outputs on these samples as a parity bundle in memory, in the dualnet model's tensors. */
    public static ParityBundle reference(PairedSamples samples, EngineOutputs outputs, Tolerance tolerance) {
        long n = samples.size();
        Map<String, NamedTensor> inputs = new LinkedHashMap<>();
        inputs.put(IMAGE, new NamedTensor(IMAGE, ElementType.FP32, new long[] {n, 1, SIDE, SIDE}, samples.images()));
        inputs.put(NUMBER, new NamedTensor(NUMBER, ElementType.INT64, new long[] {n}, samples.numbers()));
        Map<String, NamedTensor> expected = new LinkedHashMap<>();
        expected.put(DIGIT, new NamedTensor(DIGIT, ElementType.FP32, new long[] {n, DIGITS}, outputs.digit()));
        expected.put(SUM, new NamedTensor(SUM, ElementType.FP32, new long[] {n, SUMS}, outputs.sum()));
        return new ParityBundle(null, inputs, expected, tolerance);
    }

    /**
     * Runs the checkpoint in DJL/PyTorch and the ONNX model in ONNX Runtime on the test pairs and
     * compares the outputs.
     *
     * @param testData the MNIST test split, loaded only once the checkpoint and the model have opened
     * @param limit compare only the first N test pairs (0 = all)
     * @throws UserException if the checkpoint or model cannot be loaded
     */
    public static ParityReport check(Path checkpoint, Path model, Supplier<MnistSplit> testData, int limit,
            Tolerance tolerance, RuntimeOptions options) {
        Checkpoint saved = Checkpoint.read(checkpoint);
        // The model is loaded before the data and the engine's pass, so that a wrong path fails at once.
        try (OnnxModel onnx = OnnxModel.load(model, options)) {
            MnistSplit test = testData.get();
            int count = limit > 0 ? Math.min(limit, test.size()) : test.size();
            PairedSamples samples = PairedSamples.of(test, saved.state().config().testSeed(), count);
            EngineOutputs expected;
            try (DualNetModel engine = DualNetModel.create(saved.state().config().presetValue(), Device.cpu())) {
                saved.restoreParameters(engine);
                expected = EngineOutputs.of(engine, samples);
            }
            return ParityCheck.report("engine", checkpoint.toAbsolutePath().toString(), onnx,
                    reference(samples, expected, tolerance), tolerance);
        } catch (ModelLoadException e) {
            throw new UserException(e.getMessage(), e);
        }
    }
}
