package dev.dualnet.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dualnet export}: checkpoint to ONNX model-repository entry. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Export a trained checkpoint as a standard ONNX model (opset 17) in a Triton-style model "
                    + "repository entry: OUT/1/model.onnx, its parity bundle OUT/1/parity/, OUT/config.pbtxt and "
                    + "OUT/model_card.json.",
            ""
        })
final class ExportCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "RUN",
            description = "Run directory (or its checkpoint.zip) to export.")
    Path checkpoint;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Repository entry to write, e.g. models/dualnet; its name is the model name.")
    Path out;

    @Option(names = "--max-batch-size", paramLabel = "N", defaultValue = "256",
            description = "max_batch_size for config.pbtxt (default: ${DEFAULT-VALUE}).")
    int maxBatchSize;

    @Option(names = "--bundle-size", paramLabel = "N", defaultValue = "256",
            description = "Test pairs in the parity bundle (default: ${DEFAULT-VALUE}).")
    int bundleSize;

    @Option(names = "--literal",
            description = "Write the graph node for node as the DJL block tree, without the rewrites that make it "
                    + "faster to serve (pooled convolutions, tabulated one-hot branch); outputs agree to float "
                    + "rounding.")
    boolean literal;

    @Mixin
    DataOptions data;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("--max-batch-size must be at least 1, got " + maxBatchSize);
        }
        if (bundleSize < 1) {
            throw new IllegalArgumentException("--bundle-size must be at least 1, got " + bundleSize);
        }
        return ExportJob.run(this, "dualnet " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
    }
}
