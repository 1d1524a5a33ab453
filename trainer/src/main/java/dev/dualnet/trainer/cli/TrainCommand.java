package dev.dualnet.trainer.cli;

import dev.dualnet.trainer.model.Preset;
import dev.dualnet.trainer.train.Checkpoint;
import dev.dualnet.trainer.train.Devices;
import dev.dualnet.trainer.train.EpochMetrics;
import dev.dualnet.trainer.train.TrainingConfig;
import dev.dualnet.trainer.train.TrainingRun;
import dev.dualnet.trainer.util.PyTorchEngine;
import dev.dualnet.trainer.util.OutputDirectory;
import dev.dualnet.trainer.util.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

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
            description = "Continue the run in DIR (or DIR/checkpoint.zip) from its last checkpoint, with its "
                    + "saved settings; training options given with it may only repeat them.")
    Path resume;

    @Mixin
    DataOptions data;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        // Bad options, a run directory in use and a missing GPU all fail before MNIST loads.
        TrainingRun run = resume != null ? resumedRun() : freshRun();
        List<EpochMetrics> history = run.run();
        EpochMetrics last = history.get(history.size() - 1);
        System.out.printf(Locale.ROOT, "Run directory: %s%nTest accuracy after epoch %d: digit %.2f%%, sum %.2f%%, "
                        + "both %.2f%%%n", run.runDir().toAbsolutePath(), last.epoch(),
                100 * last.testDigitAccuracy(), 100 * last.testSumAccuracy(), 100 * last.testBothAccuracy());
        return 0;
    }

    private TrainingRun freshRun() {
        TrainingConfig fresh = config();
        Path dir = runDir != null ? runDir : defaultRunDir();
        if (Checkpoint.existsIn(dir)) {
            throw new UserException(dir + " already holds a run (" + Checkpoint.FILE_NAME
                    + "); continue it with --resume " + dir + ", or pass another --run-dir");
        }
        OutputDirectory.requireCreatable(dir, "--run-dir");
        EngineSetup.configure(fresh.threads());
        Devices.resolve(fresh.device(), PyTorchEngine.get());
        return TrainingRun.fresh(fresh, data.source().load(), dir);
    }

    private TrainingRun resumedRun() {
        Path dir = resumeDir();
        Checkpoint checkpoint = Checkpoint.read(dir);
        TrainingConfig saved = checkpoint.state().config();
        rejectChangedSettings(dir, saved);
        EngineSetup.configure(saved.threads());
        return TrainingRun.resume(dir, checkpoint, data.source().load());
    }

    /** The run directory to continue: {@code --resume} itself, or the directory of the checkpoint it names. */
    private Path resumeDir() {
        if (!Files.isRegularFile(resume)) {
            return resume;
        }
        Path parent = resume.toAbsolutePath().getParent();
        if (!resume.getFileName().toString().equals(Checkpoint.FILE_NAME)) {
            throw new UserException("--resume " + resume + ": expected a run directory (or its " + Checkpoint.FILE_NAME
                    + "), where the resumed run goes on writing; this is another file");
        }
        return parent;
    }

    /**
     * A resumed run goes on with the settings saved in its checkpoint, so that it ends bit for bit
     * where the uninterrupted run would; an option given with {@code --resume} may only repeat them.
     */
    private void rejectChangedSettings(Path dir, TrainingConfig saved) {
        ParseResult given = spec.commandLine().getParseResult();
        List<Setting> settings = List.of(
                new Setting("--preset", preset, saved.preset()),
                new Setting("--epochs", epochs, saved.epochs()),
                new Setting("--batch-size", batchSize, saved.batchSize()),
                new Setting("--lr", learningRate, saved.learningRate()),
                new Setting("--schedule", schedule, saved.schedule()),
                new Setting("--weight-decay", weightDecay, saved.weightDecay()),
                new Setting("--seed", seed, saved.seed()),
                new Setting("--test-seed", testSeed, saved.testSeed()),
                new Setting("--threads", threads, saved.threads()),
                new Setting("--device", device, saved.device()),
                new Setting("--train-limit", trainLimit, saved.trainLimit()),
                new Setting("--test-limit", testLimit, saved.testLimit()));
        List<String> changed = new ArrayList<>();
        for (Setting setting : settings) {
            if (given.hasMatchedOption(setting.option()) && !setting.given().equals(setting.saved())) {
                changed.add(setting.option() + " " + setting.given() + " (the run has " + setting.saved() + ")");
            }
        }
        if (runDir != null && !runDir.toAbsolutePath().normalize().equals(dir.toAbsolutePath().normalize())) {
            changed.add("--run-dir " + runDir + " (the run is in " + dir + ")");
        }
        if (!changed.isEmpty()) {
            throw new UserException("--resume " + resume + " goes on with the settings saved in the run, but "
                    + String.join(", ", changed) + (changed.size() == 1 ? " differs; drop it" : " differ; drop them")
                    + ", or train a new run with another --run-dir");
        }
    }

    /** An option given on the command line against the value a resumed run saved for it. */
    private record Setting(String option, Object given, Object saved) {}

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
