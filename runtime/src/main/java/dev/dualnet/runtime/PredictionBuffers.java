package dev.dualnet.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;

/**
 * Direct buffers for one call at a time: the inputs are copied in, ONNX Runtime writes the
 * probabilities straight into the outputs. The four tensors over them are kept for the last batch
 * size used, since creating them costs a few microseconds a call, as much as a fifth of a batch-1
 * prediction. Not thread-safe: a predictor lends each instance to one call at a time.
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
     * The model's four tensors, views of this batch's part of the buffers, keyed by input and output
     * name as a run takes them.
     */
    record Tensors(int batch, Map<String, OnnxTensor> inputs, Map<String, OnnxTensor> outputs) {
        void close() {
            inputs.values().forEach(OnnxTensor::close);
            outputs.values().forEach(OnnxTensor::close);
        }
    }

    /** Copies checked inputs in and returns tensors for this batch. */
    Tensors fill(float[] pixels, int[] values) throws OrtException {
        int batch = values.length;
        if (numbers.capacity() < batch) {
            int capacity = Math.max(batch, numbers.capacity() * 2);
            releaseTensors();
            images = directFloats(capacity * DualNetPredictor.PIXELS);
            numbers = ByteBuffer.allocateDirect(capacity * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
            digits = directFloats(capacity * DualNetPredictor.DIGITS);
            sums = directFloats(capacity * DualNetPredictor.SUMS);
        }
        images.clear();
        images.put(pixels);
        numbers.clear();
        for (int value : values) {
            numbers.put(value);
        }
        if (tensors == null || tensors.batch() != batch) {
            releaseTensors();
            OnnxTensor image = OnnxTensor.createTensor(environment, view(images, batch * DualNetPredictor.PIXELS),
                    new long[] {batch, 1, 28, 28});
            OnnxTensor number = OnnxTensor.createTensor(environment, view(numbers, batch), new long[] {batch});
            OnnxTensor digit = OnnxTensor.createTensor(environment, view(digits, batch * DualNetPredictor.DIGITS),
                    new long[] {batch, DualNetPredictor.DIGITS});
            OnnxTensor sum = OnnxTensor.createTensor(environment, view(sums, batch * DualNetPredictor.SUMS),
                    new long[] {batch, DualNetPredictor.SUMS});
            tensors = new Tensors(batch, Map.of(DualNetPredictor.IMAGE, image, DualNetPredictor.NUMBER, number),
                    Map.of(DualNetPredictor.DIGIT, digit, DualNetPredictor.SUM, sum));
        }
        return tensors;
    }

    /** The digit probabilities the last run wrote, positioned at the first. */
    FloatBuffer digits(int batch) {
        return view(digits, batch * DualNetPredictor.DIGITS);
    }

    /** The sum probabilities the last run wrote, positioned at the first. */
    FloatBuffer sums(int batch) {
        return view(sums, batch * DualNetPredictor.SUMS);
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

    @SuppressWarnings("unchecked")
    private static <B extends Buffer> B view(B buffer, int length) {
        return (B) buffer.duplicate().position(0).limit(length);
    }

    private static FloatBuffer directFloats(int count) {
        return ByteBuffer.allocateDirect(count * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
