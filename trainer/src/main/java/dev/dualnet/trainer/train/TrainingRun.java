package dev.dualnet.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.dualnet.common.UserException;
import dev.dualnet.trainer.data.DualSamples;
import dev.dualnet.trainer.data.MnistData;
import dev.dualnet.trainer.engine.NativeAllocator;
import dev.dualnet.trainer.engine.PyTorchEngine;
import dev.dualnet.trainer.model.DualNetModel;
import dev.dualnet.trainer.report.EpochProgress;
import dev.dualnet.trainer.report.RunRecorder;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a preset on MNIST pairs epoch by epoch, evaluating on the test pairs, writing metrics
 * and a checkpoint after every epoch, and able to continue from that checkpoint.
 */
public final class TrainingRun {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);
    private static final int EVAL_BATCH = 1000;
    /** Keeps the engine's generator stream apart from the data stream of the same epoch. */
    private static final long ENGINE_SEED_SALT = 0x5DEECE66DL;

    private final TrainingConfig config;
    private final MnistData data;
    private final RunRecorder recorder;
    private final Checkpoint resumeFrom;

    private TrainingRun(TrainingConfig config, MnistData data, Path runDir, Checkpoint resumeFrom) {
        this.config = config;
        this.data = data;
        this.recorder = new RunRecorder(runDir);
        this.resumeFrom = resumeFrom;
    }

    /** A new run writing into {@code runDir}. */
    public static TrainingRun fresh(TrainingConfig config, MnistData data, Path runDir) {
        return new TrainingRun(config, data, runDir, null);
    }

    /**
     * Continues the run in {@code runDir} from {@code checkpoint}, its last one (see
     * {@link Checkpoint#read}), with the configuration saved there.
     *
     * @throws UserException if the data differs from the run's
     */
    public static TrainingRun resume(Path runDir, Checkpoint checkpoint, MnistData data) {
        Map<String, String> saved = checkpoint.state().dataChecksums();
        if (!Set.copyOf(saved.values()).equals(Set.copyOf(data.checksums().values()))) {
            throw new UserException(runDir + ": the run was trained on data with checksums " + saved.values()
                    + " but the data given now has " + data.checksums().values() + "; resume needs the same files");
        }
        return new TrainingRun(checkpoint.state().config(), data, runDir, checkpoint);
    }

    public TrainingConfig config() {
        return config;
    }

    public Path runDir() {
        return recorder.runDir();
    }

    /**
     * Trains the remaining epochs.
     *
     * @return metrics of every epoch of the run, resumed ones included
     * @throws IOException if a checkpoint or record cannot be written
     */
    public List<EpochMetrics> run() throws IOException {
        Engine engine = PyTorchEngine.get();
        Device device = Devices.resolve(config.device(), engine);
        DualSamples train = new DualSamples(limit(data.train(), config.trainLimit()));
        DualSamples test = new DualSamples(limit(data.test(), config.testLimit()));
        Evaluator evaluator = new Evaluator(test, test.fixedPlan(config.testSeed()), EVAL_BATCH);

        engine.setRandomSeed((int) config.seed());
        try (DualNetModel model = DualNetModel.create(config.presetValue(), device)) {
            TrainingSteps steps = new TrainingSteps(model);
            if (resumeFrom != null) {
                resumeFrom.restoreParameters(model);
            }
            AdamOptimizer optimizer = AdamOptimizer.withWeightDecay(model.packParameters(), config.weightDecay());
            List<EpochMetrics> history = new ArrayList<>();
            int firstEpoch = 1;
            if (resumeFrom != null) {
                resumeFrom.restoreOptimizer(optimizer, model);
                history.addAll(resumeFrom.state().history());
                firstEpoch = resumeFrom.state().epoch() + 1;
                LOG.info("Resuming {} after epoch {} (step {})", runDir(), resumeFrom.state().epoch(), optimizer.step());
            }
            LOG.info("Training preset '{}' ({} parameters) on {} with {} thread(s), engine {} {}",
                    config.preset(), model.parameterCount(), device, config.threads(), engine.getEngineName(),
                    engine.getVersion());
            warnIfThreadsOutnumberProcessors(device);
            NativeAllocator allocator = NativeAllocator.current();
            logAllocator(allocator, device);
            recorder.writeRun(config, data.checksums(), environment(engine, device, allocator),
                    train.size(), test.size());

            long stepsPerEpoch = (train.size() + config.batchSize() - 1) / config.batchSize();
            long totalSteps = stepsPerEpoch * config.epochs();
            for (int epoch = firstEpoch; epoch <= config.epochs(); epoch++) {
                LOG.info("Starting epoch {}/{}", epoch, config.epochs());
                engine.setRandomSeed((int) DualSamples.epochSeed(config.seed() ^ ENGINE_SEED_SALT, epoch));
                DualSamples.Plan plan = train.trainingPlan(DualSamples.epochSeed(config.seed(), epoch));
                EpochMetrics metrics = trainEpoch(model, steps, optimizer, train, plan, epoch, totalSteps, evaluator);
                history.add(metrics);
                CheckpointState state = new CheckpointState(CheckpointState.FORMAT, epoch, optimizer.step(), config,
                        rngFor(epoch + 1), history, data.checksums(), train.size(), test.size());
                Checkpoint.capture(state, model, optimizer).write(runDir().resolve(Checkpoint.FILE_NAME));
                recorder.writeMetrics(history);
                LOG.info(String.format(java.util.Locale.ROOT,
                        "epoch %d/%d: test digit %.2f%%, sum %.2f%%, both %.2f%%, loss %.4f; %.0f samples/s, %.1f s",
                        epoch, config.epochs(), 100 * metrics.testDigitAccuracy(), 100 * metrics.testSumAccuracy(),
                        100 * metrics.testBothAccuracy(), metrics.testLoss(), metrics.samplesPerSecond(),
                        metrics.trainSeconds()));
            }
            return history;
        }
    }

    private EpochMetrics trainEpoch(DualNetModel model, TrainingSteps steps, AdamOptimizer optimizer,
            DualSamples train, DualSamples.Plan plan, int epoch, long totalSteps, Evaluator evaluator) {
        DualSamples.Batch batch = new DualSamples.Batch(config.batchSize(), 28 * 28);
        double lossSum = 0;
        long digitRight = 0;
        long sumRight = 0;
        int seen = 0;
        float learningRate = config.learningRate();
        long start = System.nanoTime();
        try (EpochProgress progress = new EpochProgress(epoch, config.epochs(), train.size())) {
            for (int from = 0; from < train.size(); from += config.batchSize()) {
                batch.resize(Math.min(config.batchSize(), train.size() - from));
                train.fill(plan, from, batch);
                learningRate = config.scheduleValue().rate(config.learningRate(), optimizer.step(), totalSteps);
                TrainingSteps.StepTotals step = steps.step(batch, optimizer, learningRate);
                digitRight += step.digitRight();
                sumRight += step.sumRight();
                lossSum += (double) step.loss() * batch.size();
                seen += batch.size();
                progress.step(batch.size(), lossSum / seen, (double) digitRight / seen, (double) sumRight / seen);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Evaluation test = evaluator.evaluate(model);
        return new EpochMetrics(epoch, lossSum / seen, (double) digitRight / seen, (double) sumRight / seen,
                test.loss(), test.digitAccuracy(), test.sumAccuracy(), test.bothAccuracy(), learningRate, seconds,
                seen / seconds);
    }

    private CheckpointState.RngState rngFor(int epoch) {
        return new CheckpointState.RngState(epoch, DualSamples.epochSeed(config.seed(), epoch),
                DualSamples.epochSeed(config.seed() ^ ENGINE_SEED_SALT, epoch));
    }

    private static dev.dualnet.trainer.data.MnistSplit limit(dev.dualnet.trainer.data.MnistSplit split, int limit) {
        return limit > 0 ? split.head(limit) : split;
    }

    private void warnIfThreadsOutnumberProcessors(Device device) {
        int processors = Runtime.getRuntime().availableProcessors();
        if (!device.isGpu() && config.threads() > processors) {
            // Allowed, because a resume must repeat a run's thread count on any machine; but the
            // extra threads only wait for cores, at every kernel.
            LOG.warn("--threads {} is more than the {} processor(s) here: the extra threads wait for a core at"
                    + " every kernel and make training slower; use --threads {} or fewer unless you must match"
                    + " another run's thread count", config.threads(), processors, processors);
        }
    }

    private static void logAllocator(NativeAllocator allocator, Device device) {
        if (allocator == NativeAllocator.SYSTEM && !device.isGpu()) {
            LOG.info("Native allocator: system malloc; CPU training is about 12% faster with tcmalloc, which the"
                    + " dualnet launcher preloads when installed (Debian/Ubuntu: libtcmalloc-minimal4)");
        } else {
            LOG.info("Native allocator: {}", allocator.label());
        }
    }

    private Map<String, Object> environment(Engine engine, Device device, NativeAllocator allocator) {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("engine", engine.getEngineName());
        env.put("engineVersion", engine.getVersion());
        env.put("djlVersion", Engine.getDjlVersion());
        env.put("device", device.toString());
        env.put("threads", config.threads());
        env.put("java", System.getProperty("java.version"));
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        env.put("availableProcessors", Runtime.getRuntime().availableProcessors());
        env.put("nativeAllocator", allocator.label());
        // How libtorch's OpenMP threads wait between kernels: a speed setting, recorded with the rest.
        env.put("ompWaitPolicy", System.getenv("OMP_WAIT_POLICY"));
        env.put("gompSpinCount", System.getenv("GOMP_SPINCOUNT"));
        // The JVM's collector also changes the step time (the launcher picks the serial one).
        env.put("garbageCollector", ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(GarbageCollectorMXBean::getName).collect(Collectors.joining(", ")));
        return env;
    }
}
