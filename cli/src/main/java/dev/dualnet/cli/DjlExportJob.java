package dev.dualnet.cli;

import dev.dualnet.common.cli.Cli;
import dev.dualnet.common.cli.OutputDirectory;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.TensorSpec;
import dev.dualnet.packager.EntryExport;
import dev.dualnet.parity.ReportWriter;
import dev.dualnet.parity.TensorComparison;
import dev.dualnet.parity.Tolerance;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** The work of {@code dualnet export --djl-model}: a DJL model directory to a repository entry. */
final class DjlExportJob {
    /** Generated samples in the bundle unless --bundle-size says otherwise. */
    static final int DEFAULT_SAMPLES = 16;

    private DjlExportJob() {}

    static int run(ExportCommand options, String commandLine, PrintWriter out, PrintWriter err) throws IOException {
        List<TensorSpec> inputs = new ArrayList<>();
        for (String input : options.inputs) {
            try {
                inputs.add(TensorSpec.parse(input));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--input " + input + ": " + e.getMessage(), e);
            }
        }
        OutputDirectory.requireCreatable(options.out, "--out");
        EntryExport.Request request = new EntryExport.Request(options.source.djlModel, Jars.parse(options.classpath), inputs,
                options.outputNames, options.name, options.opset, options.version, options.maxBatchSize, options.out,
                options.parityInputs, options.bundleSize != null ? options.bundleSize : DEFAULT_SAMPLES,
                Tolerance.DEFAULTS, commandLine);
        EntryExport.Result result;
        try {
            result = EntryExport.export(request);
        } catch (OnnxExportException e) {
            if (e.reason() == OnnxExportException.Reason.INVALID_REQUEST) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            err.println("error: cannot export: " + e.getMessage());
            return Cli.EXIT_FAILURE;
        }
        if (!result.written()) {
            err.println("error: ONNX Runtime disagrees with DJL on the parity inputs; nothing was written to "
                    + result.entry());
            for (TensorComparison output : result.check().outputs()) {
                err.println("  " + ReportWriter.describe(output, result.check().tolerance()));
            }
            return Cli.EXIT_FAILURE;
        }
        out.printf("Exported %s to %s%n  %s%n  parity: ONNX Runtime matches DJL on %s%n",
                options.source.djlModel, result.model(), result.signature(),
                result.signature().batchDimension() != null ? result.check().samples() + " samples"
                        : "one feed (the outputs do not all scale with a batch)");
        return Cli.EXIT_OK;
    }
}
