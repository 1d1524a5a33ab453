package dev.dualnet.cli;

import dev.dualnet.common.cli.OutputDirectory;
import dev.dualnet.showcase.ModelExport;
import dev.dualnet.exporter.optimize.GraphOptimizer;
import dev.dualnet.trainer.train.Checkpoint;
import java.io.IOException;

/** The work of {@code dualnet export}: checkpoint to model-repository entry. */
final class ExportJob {
    private ExportJob() {}

    static int run(ExportCommand options, String commandLine) throws IOException {
        Checkpoint.locate(options.source.checkpoint); // a wrong path fails before MNIST loads
        OutputDirectory.requireCreatable(options.out, "--out");
        ModelExport export = new ModelExport(options.literal ? GraphOptimizer.none() : GraphOptimizer.standard());
        ModelExport.Result result = export.export(options.source.checkpoint, options.out, options.maxBatchSize,
                MnistSources.of(options.data).loadTest(), options.bundleSize != null ? options.bundleSize : 256,
                commandLine);
        System.out.printf("Exported %s (preset %s) to %s%n  model.onnx sha256 %s%n  graph rewrites: %s%n",
                result.card().name(), result.card().preset(), result.model().toAbsolutePath(), result.modelSha256(),
                result.card().onnx().get("graphRewrites"));
        return 0;
    }
}
