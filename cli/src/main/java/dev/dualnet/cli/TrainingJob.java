package dev.dualnet.cli;

import dev.dualnet.common.UserException;
import dev.dualnet.common.cli.OutputDirectory;
import dev.dualnet.trainer.engine.EngineSetup;
import dev.dualnet.trainer.engine.PyTorchEngine;
import dev.dualnet.trainer.model.Preset;
import dev.dualnet.trainer.train.Checkpoint;
import dev.dualnet.trainer.train.Devices;
import dev.dualnet.trainer.train.EpochMetrics;
import dev.dualnet.trainer.train.TrainingConfig;
import dev.dualnet.trainer.train.TrainingRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ParseResult;

/** The work of {@code dualnet train}: a fresh or resumed training run from the command's options. */
final class TrainingJob {
    private final TrainCommand options;

    TrainingJob(TrainCommand options) {
        this.options = options;
    }

    int run() throws IOException {
        // Bad options, a run directory in use and a missing GPU all fail before MNIST loads.
        TrainingRun run = options.resume != null ? resumedRun() : freshRun();
        List<EpochMetrics> history = run.run();
        EpochMetrics last = history.get(history.size() - 1);
        System.out.printf(Locale.ROOT, "Run directory: %s%nTest accuracy after epoch %d: digit %.2f%%, sum %.2f%%, "
                        + "both %.2f%%%n", run.runDir().toAbsolutePath(), last.epoch(),
                100 * last.testDigitAccuracy(), 100 * last.testSumAccuracy(), 100 * last.testBothAccuracy());
        return 0;
    }

    private TrainingRun freshRun() {
        TrainingConfig fresh = config();
        Path dir = options.runDir != null ? options.runDir : defaultRunDir();
        if (Checkpoint.existsIn(dir)) {
            throw new UserException(dir + " already holds a run (" + Checkpoint.FILE_NAME
                    + "); continue it with --resume " + dir + ", or pass another --run-dir");
        }
        OutputDirectory.requireCreatable(dir, "--run-dir");
        EngineSetup.configure(fresh.threads());
        Devices.resolve(fresh.device(), PyTorchEngine.get());
        return TrainingRun.fresh(fresh, MnistSources.of(options.data).load(), dir);
    }

    private TrainingRun resumedRun() {
        Path dir = resumeDir();
        Checkpoint checkpoint = Checkpoint.read(dir);
        TrainingConfig saved = checkpoint.state().config();
        rejectChangedSettings(dir, saved);
        EngineSetup.configure(saved.threads());
        return TrainingRun.resume(dir, checkpoint, MnistSources.of(options.data).load());
    }

    /** The run directory to continue: {@code --resume} itself, or the directory of the checkpoint it names. */
    private Path resumeDir() {
        if (!Files.isRegularFile(options.resume)) {
            return options.resume;
        }
        Path parent = options.resume.toAbsolutePath().getParent();
        if (!options.resume.getFileName().toString().equals(Checkpoint.FILE_NAME)) {
            throw new UserException("--resume " + options.resume + ": expected a run directory (or its "
                    + Checkpoint.FILE_NAME + "), where the resumed run goes on writing; this is another file");
        }
        return parent;
    }

    /**
     * A resumed run goes on with the settings saved in its checkpoint, so that it ends bit for bit
     * where the uninterrupted run would; an option given with {@code --resume} may only repeat them.
     */
    private void rejectChangedSettings(Path dir, TrainingConfig saved) {
        ParseResult given = options.spec.commandLine().getParseResult();
        List<Setting> settings = List.of(
                new Setting("--preset", options.preset, saved.preset()),
                new Setting("--epochs", options.epochs, saved.epochs()),
                new Setting("--batch-size", options.batchSize, saved.batchSize()),
                new Setting("--lr", options.learningRate, saved.learningRate()),
                new Setting("--schedule", options.schedule, saved.schedule()),
                new Setting("--weight-decay", options.weightDecay, saved.weightDecay()),
                new Setting("--seed", options.seed, saved.seed()),
                new Setting("--test-seed", options.testSeed, saved.testSeed()),
                new Setting("--threads", options.threads, saved.threads()),
                new Setting("--device", options.device, saved.device()),
                new Setting("--train-limit", options.trainLimit, saved.trainLimit()),
                new Setting("--test-limit", options.testLimit, saved.testLimit()));
        List<String> changed = new ArrayList<>();
        for (Setting setting : settings) {
            if (given.hasMatchedOption(setting.option()) && !setting.given().equals(setting.saved())) {
                changed.add(setting.option() + " " + setting.given() + " (the run has " + setting.saved() + ")");
            }
        }
        if (options.runDir != null
                && !options.runDir.toAbsolutePath().normalize().equals(dir.toAbsolutePath().normalize())) {
            changed.add("--run-dir " + options.runDir + " (the run is in " + dir + ")");
        }
        if (!changed.isEmpty()) {
            throw new UserException("--resume " + options.resume + " goes on with the settings saved in the run, but "
                    + String.join(", ", changed) + (changed.size() == 1 ? " differs; drop it" : " differ; drop them")
                    + ", or train a new run with another --run-dir");
        }
    }

    /** An option given on the command line against the value a resumed run saved for it. */
    private record Setting(String option, Object given, Object saved) {}

    private TrainingConfig config() {
        Preset.TrainingDefaults defaults = Preset.fromId(options.preset).defaults();
        return new TrainingConfig(
                options.preset,
                options.epochs != null ? options.epochs : defaults.epochs(),
                options.batchSize != null ? options.batchSize : defaults.batchSize(),
                options.learningRate != null ? options.learningRate : defaults.learningRate(),
                options.schedule != null ? options.schedule : defaults.schedule(),
                options.weightDecay,
                options.seed,
                options.testSeed,
                EngineSetup.threads(options.threads),
                options.device,
                options.trainLimit,
                options.testLimit);
    }

    private Path defaultRunDir() {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return Path.of("runs", options.preset + "-" + stamp);
    }
}
