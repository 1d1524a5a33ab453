package dev.dualnet.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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
    public Integer call() throws IOException {
        return new TrainingJob(this).run();
    }
}
