package dev.dualnet.trainer.cli;

import dev.dualnet.trainer.data.MnistData;
import dev.dualnet.trainer.model.Preset;
import dev.dualnet.trainer.train.Checkpoint;
import dev.dualnet.trainer.train.Devices;
import dev.dualnet.trainer.train.EpochMetrics;
import dev.dualnet.trainer.train.TrainingConfig;
import dev.dualnet.trainer.train.TrainingRun;
import dev.dualnet.trainer.util.PyTorchEngine;
import dev.dualnet.trainer.util.UserException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dualnet train}: fits a preset on MNIST pairs and writes a run directory. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Train the dual-input network (image + number -> digit, digit + number) on MNIST with DJL/PyTorch, "
                    + "on the first CUDA GPU when the engine sees one, else on the CPU.",
            "After every epoch it writes a checkpoint, metrics.json/csv and loss/accuracy plots into the run "
                    + "directory; --resume continues a stopped run bit for bit.",
            ""
        })
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "default",
            description = "Network design: seed (reference, 40,397 parameters) or default (tuned for accuracy). "
                    + "Default: ${DEFAULT-VALUE}.")
    String preset;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (default: the preset's).")
    Integer epochs;

    @Option(names = "--batch-size", paramLabel = "N", description = "Samples per update (default: the preset's).")
    Integer batchSize;

    @Option(names = "--lr", paramLabel = "RATE", description = "Base learning rate of Adam (default: the preset's).")
    Float learningRate;

    @Option(names = "--schedule", paramLabel = "NAME",
            description = "Learning-rate schedule: constant, cosine or onecycle (default: the preset's).")
    String schedule;

    @Option(names = "--weight-decay", paramLabel = "W", defaultValue = "0",
            description = "L2 weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
            description = "Seed of initialisation, sample order and training numbers (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--test-seed", paramLabel = "N", defaultValue = "10000",
            description = "Seed of the fixed numbers paired with test images (default: ${DEFAULT-VALUE}).")
    long testSeed;

    @Option(names = "--threads", paramLabel = "N",
            description = "CPU threads the engine's kernels use (default: available processors). "
                    + "Bit-identical resumes need the same value.")
    Integer threads;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto",
            description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}: CUDA when present).")
    String device;

    @Option(names = "--train-limit", paramLabel = "N", defaultValue = "0",
            description = "Train on the first N samples only (default: all).")
    int trainLimit;

    @Option(names = "--test-limit", paramLabel = "N", defaultValue = "0",
            description = "Evaluate on the first N test samples only (default: all).")
    int testLimit;

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Where checkpoints, metrics and plots go (default: runs/PRESET-TIMESTAMP).")
    Path runDir;

    @Option(names = "--resume", paramLabel = "DIR",
            description = "Continue the run in DIR from its last checkpoint, with its saved settings.")
    Path resume;

    @Mixin
    DataOptions data;

    @Override
    public Integer call() throws Exception {
        TrainingConfig fresh = resume == null ? config() : null; // bad options fail before data loads
        // A resumed run's thread count is only known from its checkpoint: set again below, before the
        // engine loads.
        EngineSetup.configure(fresh != null ? fresh.threads() : EngineSetup.threads(threads));
        Path freshDir = fresh != null ? (runDir != null ? runDir : defaultRunDir()) : null;
        if (fresh != null) {
            if (Checkpoint.existsIn(freshDir)) {
                throw new UserException(freshDir + " already holds a run (" + Checkpoint.FILE_NAME
                        + "); continue it with --resume " + freshDir + ", or pass another --run-dir");
            }
            // So does a GPU that is not there, before a first run fetches MNIST for nothing.
            Devices.resolve(fresh.device(), PyTorchEngine.get());
        } else {
            Checkpoint.locate(resume);
        }
        MnistData mnist = data.source().load();
        TrainingRun run;
        if (resume != null) {
            run = TrainingRun.resume(resume, mnist);
            if (threads != null && threads != run.config().threads()) {
                throw new IllegalArgumentException("--threads " + threads + " differs from the run's "
                        + run.config().threads() + "; a resumed run keeps its thread count");
            }
            EngineSetup.configure(run.config().threads());
        } else {
            run = TrainingRun.fresh(fresh, mnist, freshDir);
        }
        List<EpochMetrics> history = run.run();
        EpochMetrics last = history.get(history.size() - 1);
        System.out.printf(Locale.ROOT, "Run directory: %s%nTest accuracy after epoch %d: digit %.2f%%, sum %.2f%%, "
                        + "both %.2f%%%n", run.runDir().toAbsolutePath(), last.epoch(),
                100 * last.testDigitAccuracy(), 100 * last.testSumAccuracy(), 100 * last.testBothAccuracy());
        return 0;
    }

    private TrainingConfig config() {
        Preset.TrainingDefaults defaults = Preset.fromId(preset).defaults();
        return new TrainingConfig(
                preset,
                epochs != null ? epochs : defaults.epochs(),
                batchSize != null ? batchSize : defaults.batchSize(),
                learningRate != null ? learningRate : defaults.learningRate(),
                schedule != null ? schedule : defaults.schedule(),
                weightDecay,
                seed,
                testSeed,
                EngineSetup.threads(threads),
                device,
                trainLimit,
                testLimit);
    }

    private Path defaultRunDir() {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return Path.of("runs", preset + "-" + stamp);
    }
}
