package dev.dualnet.cli;

import dev.dualnet.common.cli.Cli;
import dev.dualnet.common.cli.OutputDirectory;
import dev.dualnet.parity.ParityCheck;
import dev.dualnet.parity.ParityReport;
import dev.dualnet.parity.ReportWriter;
import dev.dualnet.parity.TensorComparison;
import dev.dualnet.parity.Tolerance;
import dev.dualnet.runtime.RuntimeOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dualnet parity}: proves an ONNX model computes what the trained network computes. */
@Command(name = "parity", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Compare ONNX Runtime's outputs with the training engine's. With --checkpoint, both engines run "
                    + "the full MNIST test set (DJL/PyTorch vs ONNX Runtime); with --djl-model, both run fresh "
                    + "seeded random inputs through any model saved the DJL way and exported from it; without "
                    + "either, ONNX Runtime runs the model's parity bundle and is compared with the outputs stored "
                    + "there.",
            "An output passes when its dtype and shape match and every element is within --atol or within "
                    + "--rtol times the expected value. The argmax check (do both pick the same class?) is reported "
                    + "beside it and does not decide. Writes parity-report.json and TEST-dualnet-parity.xml (JUnit) "
                    + "to --report-dir.",
            "Exit codes: 0 pass, 1 mismatch, 2 bad input.",
            ""
        })
final class ParityCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "ONNX file or model-repository entry (e.g. models/dualnet).")
    Path model;

    @Option(names = "--checkpoint", paramLabel = "RUN",
            description = "Training run (or checkpoint.zip) to compare with; omit to use the parity bundle.")
    Path checkpoint;

    @Option(names = "--djl-model", paramLabel = "DIR",
            description = "A model directory saved the DJL way (as for 'dualnet export --djl-model') to compare with "
                    + "on fresh inputs.")
    Path djlModel;

    @Option(names = "--samples", paramLabel = "K", defaultValue = "16",
            description = "With --djl-model: the batch size of the fresh inputs (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--classpath", paramLabel = "JARS",
            description = "With --djl-model: more jars its block factory needs, separated by '${sys:path.separator}'.")
    String classpath;

    @Option(names = "--bundle", paramLabel = "DIR",
            description = "Parity bundle directory (default: the 'parity' directory next to the model file).")
    Path bundle;

    @Option(names = "--atol", paramLabel = "X", description = "Absolute tolerance (default: the bundle's, else " + Tolerance.DEFAULT + ").")
    Double atol;

    @Option(names = "--rtol", paramLabel = "X", description = "Relative tolerance (default: the bundle's, else " + Tolerance.DEFAULT + ").")
    Double rtol;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "With --checkpoint: compare only the first N test pairs (default: all 10,000).")
    int limit;

    @Option(names = "--report-dir", paramLabel = "DIR", defaultValue = "parity-report",
            description = "Where the JSON and JUnit reports go (default: ${DEFAULT-VALUE}).")
    Path reportDir;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto",
            description = "ONNX Runtime device: auto, cuda or cpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Mixin
    DataOptions data;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        RuntimeOptions options = RuntimeOptions.defaults().withDevice(RuntimeOptions.Device.parse(device));
        Tolerance engineTolerance = Tolerance.DEFAULTS.override(atol, rtol); // refuses a negative one now
        int references = (checkpoint != null ? 1 : 0) + (djlModel != null ? 1 : 0) + (bundle != null ? 1 : 0);
        if (references > 1) {
            throw new IllegalArgumentException("--checkpoint, --djl-model and --bundle are different references to "
                    + "compare with; give one of them");
        }
        if (djlModel == null && (classpath != null
                || spec.commandLine().getParseResult().hasMatchedOption("--samples"))) {
            throw new IllegalArgumentException("--samples and --classpath apply with --djl-model");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be at least 0 (0: all test pairs), got " + limit);
        }
        if (checkpoint == null && limit != 0) {
            throw new IllegalArgumentException("--limit applies with --checkpoint; a parity bundle is compared whole");
        }
        OutputDirectory.requireCreatable(reportDir, "--report-dir");
        ParityReport report = checkpoint != null
                ? EngineParityJob.run(checkpoint, model, data, limit, engineTolerance, options)
                : djlModel != null ? DjlParityJob.run(djlModel, classpath, model, samples, engineTolerance, options)
                : ParityCheck.againstBundle(model, bundle, atol, rtol, options);
        ReportWriter.write(report, reportDir);
        System.out.printf("Parity of %s against %s (%s), %s, ONNX Runtime on %s:%n", report.model(),
                report.reference(), report.referencePath(),
                report.samples() == 1 ? "1 sample" : report.samples() + " samples", report.executionProvider());
        for (TensorComparison output : report.outputs()) {
            System.out.println("  " + ReportWriter.describe(output, report.tolerance()));
        }
        System.out.printf("%s; reports in %s%n", report.passed() ? "PASS" : "FAIL", reportDir.toAbsolutePath());
        return report.passed() ? Cli.EXIT_OK : Cli.EXIT_FAILURE;
    }
}
