package dev.dualnet.benchmarks;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dualnet.runtime.DualNetPredictor;
import dev.dualnet.runtime.Prediction;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.trainer.model.DualNetModel;
import dev.dualnet.trainer.train.Checkpoint;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The same trained network through ONNX Runtime (the exported model, via {@link DualNetPredictor})
 * and through DJL's PyTorch engine (the checkpoint), on the same inputs, at batch 1 and 256. Each
 * operation is one call: tensors in, probabilities back in Java arrays. Reported as operations per
 * second; samples per second is that times the batch.
 *
 * <p>System properties: {@code dualnet.bench.model} (ONNX file or repository entry) and
 * {@code dualnet.bench.checkpoint} (run directory); {@code bench/inference-benchmarks.sh} sets them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class InferenceBenchmark {
    @Param({"1", "256"})
    public int batch;

    /** Intra-op threads of either engine; the script pairs 1 with batch 1 and 2 with batch 256. */
    @Param({"1"})
    public int threads;

    private DualNetPredictor onnx;
    private DualNetModel djl;
    private float[] images;
    private int[] numbers;
    private long[] longNumbers;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Path model = Path.of(System.getProperty("dualnet.bench.model", "runs/bench/seed-model"));
        Path checkpoint = Path.of(System.getProperty("dualnet.bench.checkpoint", "runs/bench/seed"));
        onnx = DualNetPredictor.load(model, new RuntimeOptions(RuntimeOptions.Device.CPU, 0, threads,
                RuntimeOptions.Optimization.ALL));
        Checkpoint saved = Checkpoint.read(checkpoint);
        djl = DualNetModel.create(saved.state().config().presetValue(), Device.cpu());
        saved.restoreParameters(djl);
        Random random = new Random(7);
        images = new float[batch * 784];
        for (int i = 0; i < images.length; i++) {
            images[i] = random.nextFloat();
        }
        numbers = new int[batch];
        longNumbers = new long[batch];
        for (int i = 0; i < batch; i++) {
            numbers[i] = random.nextInt(10);
            longNumbers[i] = numbers[i];
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        onnx.close();
        djl.close();
    }

    @Benchmark
    public List<Prediction> onnxRuntime() {
        return onnx.predict(images, numbers);
    }

    @Benchmark
    public float[] djlPyTorch() {
        try (NDManager scope = djl.manager().newSubManager()) {
            NDList out = djl.forward(new NDList(
                    scope.create(FloatBuffer.wrap(images), new Shape(batch, 1, 28, 28)),
                    scope.create(LongBuffer.wrap(longNumbers), new Shape(batch))), false);
            float[] digit = out.get(0).softmax(1).toFloatArray();
            float[] sum = out.get(1).softmax(1).toFloatArray();
            return digit.length > sum.length ? digit : sum;
        }
    }
}
