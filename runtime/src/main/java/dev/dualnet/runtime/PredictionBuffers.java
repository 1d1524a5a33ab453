package dev.dualnet.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.dualnet.common.DualNetInterface;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Direct buffers for one call at a time: the inputs are copied in, ONNX Runtime writes the
 * probabilities straight into the outputs. A batch runs in consecutive slices of at most
 * {@code rowsPerRun} rows, each with four tensors over its part of the buffers; these are kept for
 * the last batch size used, since creating them on every call would cost a noticeable share of a
 * batch-1 prediction. Not thread-safe: a predictor lends each instance to one call at a time.
 */
final class PredictionBuffers implements AutoCloseable {
    private final OrtEnvironment environment;
    private FloatBuffer images = FloatBuffer.allocate(0);
    private LongBuffer numbers = LongBuffer.allocate(0);
    private FloatBuffer digits = FloatBuffer.allocate(0);
    private FloatBuffer sums = FloatBuffer.allocate(0);
    private Tensors tensors;

    PredictionBuffers(OrtEnvironment environment) {
        this.environment = environment;
    }

    /**
     * The runs of one batch size, in row order.
     *
     * @param batch rows in all runs together
     * @param runs one per slice of at most {@code rowsPerRun} rows
     */
    record Tensors(int batch, List<Run> runs) {
        void close() {
            runs.forEach(Run::close);
        }
    }

    /** The model's four tensors over one slice of the buffers, keyed by input and output name as a run takes them. */
    record Run(Map<String, OnnxTensor> inputs, Map<String, OnnxTensor> outputs) {
        void close() {
            inputs.values().forEach(OnnxTensor::close);
            outputs.values().forEach(OnnxTensor::close);
        }
    }

    /** Copies checked inputs in and returns the runs for this batch, each at most {@code rowsPerRun} rows. */
    Tensors fill(float[] pixels, int[] values, int rowsPerRun) throws OrtException {
        int batch = values.length;
        if (numbers.capacity() < batch) {
            int capacity = Math.max(batch, numbers.capacity() * 2);
            releaseTensors();
            images = directFloats(capacity * DualNetInterface.PIXELS);
            numbers = ByteBuffer.allocateDirect(capacity * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
            digits = directFloats(capacity * DualNetInterface.DIGITS);
            sums = directFloats(capacity * DualNetInterface.SUMS);
        }
        images.clear();
        images.put(pixels);
        numbers.clear();
        for (int value : values) {
            numbers.put(value);
        }
        if (tensors == null || tensors.batch() != batch) {
            releaseTensors();
            List<Run> runs = new ArrayList<>();
            tensors = new Tensors(batch, runs); // assigned first, so that close() frees a partly built list
            for (int first = 0; first < batch; first += rowsPerRun) {
                runs.add(slice(first, Math.min(rowsPerRun, batch - first)));
            }
        }
        return tensors;
    }

    private Run slice(int first, int rows) throws OrtException {
        List<OnnxTensor> made = new ArrayList<>(4);
        try {
            OnnxTensor image = keep(made, OnnxTensor.createTensor(environment,
                    view(images, first * DualNetInterface.PIXELS, rows * DualNetInterface.PIXELS),
                    new long[] {rows, 1, 28, 28}));
            OnnxTensor number = keep(made, OnnxTensor.createTensor(environment, view(numbers, first, rows),
                    new long[] {rows}));
            OnnxTensor digit = keep(made, OnnxTensor.createTensor(environment,
                    view(digits, first * DualNetInterface.DIGITS, rows * DualNetInterface.DIGITS),
                    new long[] {rows, DualNetInterface.DIGITS}));
            OnnxTensor sum = keep(made, OnnxTensor.createTensor(environment,
                    view(sums, first * DualNetInterface.SUMS, rows * DualNetInterface.SUMS),
                    new long[] {rows, DualNetInterface.SUMS}));
            return new Run(Map.of(DualNetInterface.IMAGE, image, DualNetInterface.NUMBER, number),
                    Map.of(DualNetInterface.DIGIT, digit, DualNetInterface.SUM, sum));
        } catch (OrtException | RuntimeException e) {
            made.forEach(OnnxTensor::close);
            throw e;
        }
    }

    /** Adds a new tensor to {@code made}, so that a later failure can close it, and returns it. */
    private static OnnxTensor keep(List<OnnxTensor> made, OnnxTensor tensor) {
        made.add(tensor);
        return tensor;
    }

    /** The digit probabilities the last run wrote, positioned at the first. */
    FloatBuffer digits(int batch) {
        return view(digits, 0, batch * DualNetInterface.DIGITS);
    }

    /** The sum probabilities the last run wrote, positioned at the first. */
    FloatBuffer sums(int batch) {
        return view(sums, 0, batch * DualNetInterface.SUMS);
    }

    @Override
    public void close() {
        releaseTensors();
    }

    private void releaseTensors() {
        if (tensors != null) {
            tensors.close();
            tensors = null;
        }
    }

    /** Elements {@code [first, first + length)} of a buffer as a buffer of their own, positioned at the first. */
    @SuppressWarnings("unchecked")
    private static <B extends Buffer> B view(B buffer, int first, int length) {
        return (B) buffer.duplicate().position(first).limit(first + length).slice();
    }

    private static FloatBuffer directFloats(int count) {
        return ByteBuffer.allocateDirect(count * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
