package dev.dualnet.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dualnet export}: a dualnet checkpoint or any DJL model directory to an ONNX model-repository entry. */
@Command(name = "export", sortOptions = false,
        description = {
            "Export a model as a standard ONNX model in a Triton-style model repository entry: OUT/config.pbtxt, "
                    + "OUT/model_card.json, OUT/VERSION/model.onnx and its parity bundle OUT/VERSION/parity/.",
            "With --checkpoint: a dualnet training run (the bundle holds MNIST test pairs). With --djl-model: any "
                    + "model saved the DJL way (NAME-NNNN.params from Model.save, and serving.properties naming "
                    + "blockFactory=<class>, its classes in DIR/classes/ or DIR/*.jar); give its inputs with --input. "
                    + "ONNX Runtime must reproduce DJL on the bundle before anything is written.",
            "Exit codes: 0 written, 1 the export failed or ONNX Runtime disagreed with DJL, 2 bad input.",
            ""
        })
final class ExportCommand implements Callable<Integer> {
    // Not the standard help mixin: its --version (dualnet's own) would take the place of the entry's version.
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    /** What to export: one of the two. */
    static final class Source {
        @Option(names = "--checkpoint", required = true, paramLabel = "RUN",
                description = "A dualnet training run directory (or its checkpoint.zip).")
        Path checkpoint;

        @Option(names = "--djl-model", required = true, paramLabel = "DIR",
                description = "A model directory saved the DJL way: NAME-NNNN.params and serving.properties naming "
                        + "blockFactory=<class>.")
        Path djlModel;
    }

    @Option(names = "--out", required = true, paramLabel = "REPO/NAME",
            description = "Repository entry to write, e.g. models/resnet; its name is the model name.")
    Path out;

    @Option(names = "--input", paramLabel = "NAME:DTYPE:SHAPE",
            description = "With --djl-model, once per input in the order the forward pass takes them. DTYPE is one "
                    + "of float32, float16, float64, int32, int64, int8, uint8, bool; SHAPE is comma-separated sizes, "
                    + "a name for a dynamic dimension: --input data:float32:N,3,224,224")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--output-names", split = ",", paramLabel = "A,B",
            description = "With --djl-model: names of the forward pass's results, in order (default output_0, ...).")
    List<String> outputNames = new ArrayList<>();

    @Option(names = "--name", paramLabel = "NAME",
            description = "With --djl-model: the model's name in the ONNX graph and the card (default: the entry's "
                    + "directory name, which config.pbtxt always uses).")
    String name;

    @Option(names = "--opset", paramLabel = "N", defaultValue = "17",
            description = "With --djl-model: the ONNX opset, 13 to 18 (default: ${DEFAULT-VALUE}).")
    int opset;

    @Option(names = "--version", paramLabel = "V", defaultValue = "1",
            description = "With --djl-model: the repository version directory (default: ${DEFAULT-VALUE}).")
    long version;

    @Option(names = "--max-batch-size", paramLabel = "N", defaultValue = "256",
            description = "max_batch_size for config.pbtxt when every input and output leads with the batch "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxBatchSize;

    @Option(names = "--bundle-size", paramLabel = "N",
            description = "Samples in the parity bundle (default: 256 MNIST test pairs with --checkpoint, 16 "
                    + "generated samples with --djl-model).")
    Integer bundleSize;

    @Option(names = "--parity-inputs", paramLabel = "DIR",
            description = "With --djl-model: the bundle's inputs as NAME.npy files, instead of generated ones.")
    Path parityInputs;

    @Option(names = "--classpath", paramLabel = "JARS",
            description = "With --djl-model: more jars the block factory needs, separated by '${sys:path.separator}'.")
    String classpath;

    @Option(names = "--literal",
            description = "With --checkpoint: write the graph as traced, without the rewrites that make it faster to "
                    + "serve (pooled convolutions, tabulated one-hot branch); outputs agree to float rounding.")
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
        if (bundleSize != null && bundleSize < 1) {
            throw new IllegalArgumentException("--bundle-size must be at least 1, got " + bundleSize);
        }
        String commandLine = "dualnet " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        if (source.checkpoint != null) {
            for (String option : List.of("--input", "--output-names", "--name", "--opset", "--version",
                    "--parity-inputs", "--classpath")) {
                if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                    throw new IllegalArgumentException(option + " applies with --djl-model, not with --checkpoint");
                }
            }
            return ExportJob.run(this, commandLine);
        }
        if (literal) {
            throw new IllegalArgumentException("--literal applies with --checkpoint, not with --djl-model");
        }
        return DjlExportJob.run(this, commandLine, spec.commandLine().getOut(), spec.commandLine().getErr());
    }
}
