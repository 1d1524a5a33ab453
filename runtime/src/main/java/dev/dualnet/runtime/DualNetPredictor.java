package dev.dualnet.runtime;

import static dev.dualnet.common.DualNetInterface.DIGIT;
import static dev.dualnet.common.DualNetInterface.DIGITS;
import static dev.dualnet.common.DualNetInterface.IMAGE;
import static dev.dualnet.common.DualNetInterface.NUMBER;
import static dev.dualnet.common.DualNetInterface.NUMBERS;
import static dev.dualnet.common.DualNetInterface.PIXELS;
import static dev.dualnet.common.DualNetInterface.SUM;
import static dev.dualnet.common.DualNetInterface.SUMS;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The dualnet layer over an {@link OnnxModel}: (image, number) pairs in, digit and sum with their
 * probabilities out. Inputs are checked in Java before anything reaches ONNX Runtime. Calls borrow
 * direct input and output buffers from a small pool (ONNX Runtime writes the probabilities straight
 * into them), so steady-state calls allocate no native memory beyond the session's own. On the CPU a
 * large batch runs as consecutive slices of {@link #rowsPerRun()} rows: the seed model's first
 * activation is 13.5 KiB a row, so a whole batch of 256 does not fit the cores' L2 caches, while
 * slices of 64 rows per intra-op thread keep each thread's activations in its L2 cache. Each row's
 * result does not depend on the others in its run. Safe for concurrent use; close it to close the
 * model.
 */
public final class DualNetPredictor implements AutoCloseable {
    /** Rows each intra-op thread is given per run on the CPU; see the class comment. */
    public static final int CPU_ROWS_PER_THREAD = 64;
    private static final int ONE_BITS = Float.floatToRawIntBits(1f);

    private final OnnxModel model;
    private final int rowsPerRun;
    /** Buffers not in use; as many exist as calls ever ran at once. */
    private final Deque<PredictionBuffers> idleBuffers = new ConcurrentLinkedDeque<>();
    private final Set<PredictionBuffers> allBuffers = ConcurrentHashMap.newKeySet();

    /**
     * Wraps a loaded model after checking it has the dualnet interface, with the default slice size
     * for its execution provider ({@link #defaultRowsPerRun}).
     *
     * @throws ModelLoadException if the inputs or outputs are not dualnet's
     */
    public DualNetPredictor(OnnxModel model) throws ModelLoadException {
        this(model, defaultRowsPerRun(model));
    }

    /**
     * Wraps a loaded model after checking it has the dualnet interface.
     *
     * @param rowsPerRun the most rows one ONNX Runtime run takes; larger batches run as consecutive slices
     * @throws ModelLoadException if the inputs or outputs are not dualnet's
     * @throws IllegalArgumentException if {@code rowsPerRun} is less than 1
     */
    public DualNetPredictor(OnnxModel model, int rowsPerRun) throws ModelLoadException {
        if (rowsPerRun < 1) {
            throw new IllegalArgumentException("rows per run must be at least 1, got " + rowsPerRun);
        }
        this.model = model;
        this.rowsPerRun = rowsPerRun;
        require(model, model.inputs().get(IMAGE), ElementType.FP32, new long[] {-1, 1, 28, 28});
        require(model, model.inputs().get(NUMBER), ElementType.INT64, new long[] {-1});
        require(model, model.outputs().get(DIGIT), ElementType.FP32, new long[] {-1, DIGITS});
        require(model, model.outputs().get(SUM), ElementType.FP32, new long[] {-1, SUMS});
    }

    /**
     * Loads a dualnet model file or repository entry.
     *
     * @throws ModelLoadException if it cannot be loaded or is not a dualnet model
     */
    public static DualNetPredictor load(Path path, RuntimeOptions options) throws ModelLoadException {
        OnnxModel model = OnnxModel.load(path, options);
        try {
            return new DualNetPredictor(model);
        } catch (ModelLoadException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public OnnxModel model() {
        return model;
    }

    /** The most rows one ONNX Runtime run takes. */
    public int rowsPerRun() {
        return rowsPerRun;
    }

    /**
     * Whole batches in one run on CUDA, which wants them large; on the CPU,
     * {@value #CPU_ROWS_PER_THREAD} rows per intra-op thread (all cores when the model lets ONNX
     * Runtime choose).
     */
    public static int defaultRowsPerRun(OnnxModel model) {
        if (model.executionProvider() != ExecutionProvider.CPU) {
            return Integer.MAX_VALUE;
        }
        int threads = model.intraOpThreads() > 0 ? model.intraOpThreads() : Runtime.getRuntime().availableProcessors();
        return CPU_ROWS_PER_THREAD * threads;
    }

    /**
     * Predicts one pair.
     *
     * @param image 784 pixels in [0, 1], row-major
     * @param number 0..9
     * @throws InvalidInputException if the image or number is out of range
     */
    public Prediction predict(float[] image, int number) {
        return predict(image, new int[] {number}).get(0);
    }

    /**
     * Predicts a batch given as one flat array of images.
     *
     * @param images {@code numbers.length * 784} pixels in [0, 1], image after image
     * @param numbers one number 0..9 per image
     * @throws InvalidInputException if the batch shape, a pixel or a number is wrong
     */
    public List<Prediction> predict(float[] images, int[] numbers) {
        int batch = numbers.length;
        if (batch == 0) {
            throw new InvalidInputException("empty batch: expected at least one (image, number) pair");
        }
        if (images.length != (long) batch * PIXELS) {
            throw new InvalidInputException("images hold " + images.length + " values for " + batch
                    + " numbers, expected " + batch + " x 784 = " + (long) batch * PIXELS);
        }
        checkPixels(images);
        for (int i = 0; i < batch; i++) {
            checkNumber(i, numbers[i]);
        }
        PredictionBuffers buffers = idleBuffers.pollFirst();
        if (buffers == null) {
            buffers = new PredictionBuffers(model.environment());
            allBuffers.add(buffers);
        }
        try {
            return run(buffers, images, numbers);
        } finally {
            idleBuffers.offerFirst(buffers);
        }
    }

    /**
     * Predicts a batch given as one array per image.
     *
     * @param images one 784-pixel array per pair
     * @param numbers one number per pair
     * @throws InvalidInputException if the batch shape, a pixel or a number is wrong
     */
    public List<Prediction> predict(float[][] images, int[] numbers) {
        if (images.length != numbers.length) {
            throw new InvalidInputException(images.length + " images but " + numbers.length
                    + " numbers: expected one number per image");
        }
        float[] flat = new float[images.length * PIXELS];
        for (int i = 0; i < images.length; i++) {
            if (images[i] == null || images[i].length != PIXELS) {
                throw new InvalidInputException("image " + i + " has " + (images[i] == null ? 0 : images[i].length)
                        + " values, expected 784 (28 x 28)");
            }
            System.arraycopy(images[i], 0, flat, i * PIXELS, PIXELS);
        }
        return predict(flat, numbers);
    }

    private List<Prediction> run(PredictionBuffers buffers, float[] images, int[] numbers) {
        int batch = numbers.length;
        try {
            List<PredictionBuffers.Run> runs = buffers.fill(images, numbers, rowsPerRun).runs();
            for (int k = 0; k < runs.size(); k++) { // indexed: no iterator on the batch-1 path
                PredictionBuffers.Run slice = runs.get(k);
                try (OrtSession.Result ignored = model.runInto(slice.inputs(), slice.outputs())) {
                    // the outputs are in the buffers now; the result holds nothing else
                }
            }
        } catch (OrtException e) {
            throw new InferenceException(model.path() + ": inference failed: " + e.getMessage(), e);
        }
        FloatBuffer digits = buffers.digits(batch);
        FloatBuffer sums = buffers.sums(batch);
        List<Prediction> predictions = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
            float[] digitProbabilities = new float[DIGITS];
            float[] sumProbabilities = new float[SUMS];
            digits.get(digitProbabilities);
            sums.get(sumProbabilities);
            predictions.add(new Prediction(Prediction.argMax(digitProbabilities, 0, DIGITS),
                    Prediction.argMax(sumProbabilities, 0, SUMS), digitProbabilities, sumProbabilities));
        }
        return predictions;
    }

    /** Whether a model has dualnet's inputs and outputs. */
    public static boolean hasDualnetInterface(OnnxModel model) {
        return matches(model.inputs().get(IMAGE), ElementType.FP32, new long[] {-1, 1, 28, 28})
                && matches(model.inputs().get(NUMBER), ElementType.INT64, new long[] {-1})
                && matches(model.outputs().get(DIGIT), ElementType.FP32, new long[] {-1, DIGITS})
                && matches(model.outputs().get(SUM), ElementType.FP32, new long[] {-1, SUMS});
    }

    private static boolean matches(TensorSpec spec, ElementType type, long[] shape) {
        return spec != null && spec.type() == type && Arrays.equals(spec.shape(), shape);
    }

    /**
     * Checks pixels are finite and in [0, 1].
     *
     * @throws InvalidInputException naming the first bad pixel and its image
     */
    public static void checkPixels(float[] pixels) {
        // Fast pass over the bit patterns, which the JIT vectorises: a float is in [+0, 1] exactly
        // when its bits, read as an int, are in [0, 0x3F800000]; below 0 sets the sign bit of b,
        // above (NaN and infinity included) sets the sign bit of 0x3F800000 - b.
        int outside = 0;
        for (float pixel : pixels) {
            int bits = Float.floatToRawIntBits(pixel);
            outside |= bits | (ONE_BITS - bits);
        }
        if (outside >= 0) {
            return;
        }
        for (int i = 0; i < pixels.length; i++) {
            float p = pixels[i];
            // The negated test also rejects NaN, for which every comparison is false.
            if (!(p >= 0f && p <= 1f)) {
                throw new InvalidInputException("pixel " + (i % PIXELS) + " of image " + (i / PIXELS) + " is " + p
                        + ", expected a finite value in [0, 1]");
            }
        }
    }

    /**
     * Checks numbers are in 0..9.
     *
     * @throws InvalidInputException naming the first bad number
     */
    public static void checkNumber(int index, long value) {
        if (value < 0 || value > (NUMBERS - 1)) {
            throw new InvalidInputException("number " + index + " is " + value + ", expected 0..9");
        }
    }

    private static void require(OnnxModel model, TensorSpec spec, ElementType type, long[] shape)
            throws ModelLoadException {
        if (!matches(spec, type, shape)) {
            throw new ModelLoadException(model.path() + ": not a dualnet model: expected inputs image FP32 "
                    + "[-1,1,28,28] and number INT64 [-1], outputs digit FP32 [-1,10] and sum FP32 [-1,19]; "
                    + "the model has inputs " + model.inputs().values() + " and outputs " + model.outputs().values(),
                    null);
        }
    }

    /** Closes the model and the tensors the buffers keep. */
    @Override
    public void close() {
        allBuffers.forEach(PredictionBuffers::close);
        model.close();
    }
}
