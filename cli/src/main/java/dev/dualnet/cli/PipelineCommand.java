package dev.dualnet.cli;

import dev.dualnet.common.cli.Cli;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dualnet pipeline}: the main job ({@link Pipeline}), then, with {@code --serve}, the server
 * on the repository it wrote, in this JVM.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "The main job, end to end: fetch and verify MNIST, train a preset, export it to the model "
                    + "repository (ONNX + parity bundle + config.pbtxt + model card + curves), check ONNX Runtime "
                    + "against the training engine on the full test set, and print a summary. With --serve, "
                    + "start the server on the repository afterwards. Each stage also runs alone: dualnet data, "
                    + "train, export, parity, serve.",
            ""
        })
final class PipelineCommand implements Callable<Integer> {
    @Option(names = "--preset", defaultValue = "default", paramLabel = "NAME",
            description = "Network design: default or seed (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (default: the preset's).")
    Integer epochs;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "Training seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--test-seed", defaultValue = "10000", paramLabel = "N",
            description = "Seed of the test pairing (default: ${DEFAULT-VALUE}).")
    long testSeed;

    @Option(names = "--threads", paramLabel = "N", description = "Training threads (default: available processors).")
    Integer threads;

    @Option(names = "--train-limit", defaultValue = "0", paramLabel = "N",
            description = "Train on the first N samples only, for a quick try (default: all).")
    int trainLimit;

    @Option(names = "--run-dir", paramLabel = "DIR", description = "Training run directory (default: runs/pipeline-PRESET).")
    Path runDir;

    @Option(names = "--out", defaultValue = "runs/pipeline/models/dualnet", paramLabel = "DIR",
            description = "Model repository entry to write (default: ${DEFAULT-VALUE}, outside the tracked "
                    + "models/; copy it there to make it the served default).")
    Path out;

    @Option(names = "--report-dir", defaultValue = "parity-report", paramLabel = "DIR",
            description = "Where the parity reports go (default: ${DEFAULT-VALUE}).")
    Path reportDir;

    @Option(names = "--serve", description = "Serve the repository when done, as 'dualnet serve --model-dir' with its defaults would.")
    boolean serve;

    @Mixin
    DataOptions data;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        int code = new Pipeline(this, "dualnet " + String.join(" ", spec.commandLine().getParseResult().originalArgs()))
                .run();
        if (code != Cli.EXIT_OK || !serve) {
            return code;
        }
        Path repository = out.toAbsolutePath().normalize().getParent();
        System.out.println("starting the server on " + repository + " ...");
        return Dualnet.commandLine().execute("serve", "--model-dir", repository.toString());
    }
}
