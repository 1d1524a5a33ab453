package dev.dualnet.exporter.parity;

import dev.dualnet.runtime.DualNetPredictor;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.ModelLoadException;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.Prediction;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.runtime.TensorSpec;
import dev.dualnet.runtime.parity.OutputComparison;
import dev.dualnet.runtime.parity.ParityBundle;
import dev.dualnet.runtime.parity.ParityCheck;
import dev.dualnet.trainer.data.MnistSplit;
import dev.dualnet.trainer.model.DualNetModel;
import dev.dualnet.trainer.train.Checkpoint;
import dev.dualnet.trainer.util.UserException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/** The two parity checks: ONNX Runtime against the training engine, and against a parity bundle. */
public final class ParityChecks {
    private static final int BATCH = 500;

    private ParityChecks() {}

    /**
     * Runs the checkpoint in DJL/PyTorch and the ONNX model in ONNX Runtime on the test pairs and
     * compares the probabilities.
     *
     * @param testData the MNIST test split, loaded only once the checkpoint and the model have opened
     * @param limit compare only the first N test pairs (0 = all)
     * @throws UserException if the checkpoint or model cannot be loaded
     */
    public static ParityReport engineVsRuntime(Path checkpoint, Path model, Supplier<MnistSplit> testData, int limit,
            double atol, double rtol, RuntimeOptions options) {
        Checkpoint saved = Checkpoint.read(checkpoint);
        // The model is loaded before the data and the engine's pass, so that a wrong path fails at once.
        try (DualNetPredictor predictor = DualNetPredictor.load(model, options)) {
            MnistSplit test = testData.get();
            int count = limit > 0 ? Math.min(limit, test.size()) : test.size();
            PairedSamples samples = PairedSamples.of(test, saved.state().config().testSeed(), count);
            EngineOutputs expected;
            try (DualNetModel engine = DualNetModel.create(saved.state().config().presetValue(),
                    ai.djl.Device.cpu())) {
                saved.restoreParameters(engine);
                expected = EngineOutputs.of(engine, samples);
            }
            float[] digit = new float[count * DualNetPredictor.DIGITS];
            float[] sum = new float[count * DualNetPredictor.SUMS];
            int[] numbers = samples.numbersAsInts();
            for (int from = 0; from < count; from += BATCH) {
                int rows = Math.min(BATCH, count - from);
                List<Prediction> predictions = predictor.predict(
                        Arrays.copyOfRange(samples.images(), from * 784, (from + rows) * 784),
                        Arrays.copyOfRange(numbers, from, from + rows));
                for (int i = 0; i < rows; i++) {
                    Prediction p = predictions.get(i);
                    System.arraycopy(p.digitProbabilities(), 0, digit, (from + i) * DualNetPredictor.DIGITS,
                            DualNetPredictor.DIGITS);
                    System.arraycopy(p.sumProbabilities(), 0, sum, (from + i) * DualNetPredictor.SUMS,
                            DualNetPredictor.SUMS);
                }
            }
            List<OutputComparison> outputs = new ArrayList<>();
            outputs.add(withSpec(predictor.model().outputs().get(DualNetPredictor.DIGIT), DualNetPredictor.DIGITS,
                    OutputComparison.of(DualNetPredictor.DIGIT, expected.digit(), digit, DualNetPredictor.DIGITS,
                            atol, rtol)));
            outputs.add(withSpec(predictor.model().outputs().get(DualNetPredictor.SUM), DualNetPredictor.SUMS,
                    OutputComparison.of(DualNetPredictor.SUM, expected.sum(), sum, DualNetPredictor.SUMS, atol,
                            rtol)));
            return new ParityReport("engine", predictor.model().path().toString(),
                    checkpoint.toAbsolutePath().toString(), predictor.model().executionProvider().name(), count, atol,
                    rtol, outputs, ParityCheck.passed(outputs));
        } catch (ModelLoadException e) {
            throw new UserException(e.getMessage(), e);
        }
    }

    /**
     * Runs the ONNX model on its parity bundle (or {@code bundleDir}) and compares with the
     * bundle's outputs, using the bundle's tolerances unless overridden.
     *
     * @throws UserException if the model or bundle cannot be read
     */
    public static ParityReport runtimeVsBundle(Path model, Path bundleDir, Double atol, Double rtol,
            RuntimeOptions options) {
        // The model is loaded first: without it, the bundle's default place means nothing.
        try (OnnxModel onnx = OnnxModel.load(model, options)) {
            Path dir = bundleDir != null ? bundleDir : ParityBundle.locate(model);
            ParityBundle bundle;
            try {
                bundle = ParityBundle.read(dir);
            } catch (IOException e) {
                throw new UserException(e.getMessage(), e);
            }
            ParityBundle effective = new ParityBundle(bundle.dir(), bundle.inputs(), bundle.outputs(),
                    atol != null ? atol : bundle.atol(), rtol != null ? rtol : bundle.rtol(), bundle.manifest());
            List<OutputComparison> outputs = ParityCheck.run(onnx, effective);
            return new ParityReport("bundle", onnx.path().toString(), dir.toAbsolutePath().toString(),
                    onnx.executionProvider().name(), effective.count(), effective.atol(), effective.rtol(), outputs,
                    ParityCheck.passed(outputs));
        } catch (ModelLoadException e) {
            throw new UserException(e.getMessage(), e);
        }
    }

    /** Marks shape or dtype mismatches the session reports for an output. */
    private static OutputComparison withSpec(TensorSpec spec, int columns, OutputComparison values) {
        boolean shape = spec != null && Arrays.equals(spec.shape(), new long[] {-1, columns});
        boolean dtype = spec != null && spec.type() == ElementType.FP32;
        return new OutputComparison(values.name(), shape && values.shapeMatches(), dtype, values.elements(),
                values.maxAbsError(), values.maxRelError(), values.outsideTolerance(), values.rows(),
                values.argmaxAgreements());
    }
}
