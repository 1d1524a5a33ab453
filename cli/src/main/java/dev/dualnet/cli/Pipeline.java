package dev.dualnet.cli;

import dev.dualnet.common.cli.Cli;
import dev.dualnet.common.cli.OutputDirectory;
import dev.dualnet.showcase.ModelExport;
import dev.dualnet.showcase.parity.EngineParity;
import dev.dualnet.parity.ParityReport;
import dev.dualnet.parity.ReportWriter;
import dev.dualnet.parity.TensorComparison;
import dev.dualnet.parity.Tolerance;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.trainer.data.MnistData;
import dev.dualnet.trainer.engine.EngineSetup;
import dev.dualnet.trainer.model.Preset;
import dev.dualnet.trainer.train.Checkpoint;
import dev.dualnet.trainer.train.EpochMetrics;
import dev.dualnet.trainer.train.TrainingConfig;
import dev.dualnet.trainer.train.TrainingRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The main job, end to end: fetch and verify MNIST, train a preset, export it to a model-repository
 * entry (ONNX, parity bundle, config.pbtxt, model card, curves), check ONNX Runtime against the
 * training engine on the full test set, and print a summary.
 */
final class Pipeline {
    private final PipelineCommand options;
    private final String commandLine;

    /**
     * @param commandLine the command as typed, recorded in the model card
     */
    Pipeline(PipelineCommand options, String commandLine) {
        this.options = options;
        this.commandLine = commandLine;
    }

    /**
     * @return {@link Cli#EXIT_OK}, or {@link Cli#EXIT_FAILURE} when the export fails parity
     * @throws IOException if a stage cannot write its files
     */
    int run() throws IOException {
        Preset chosen = Preset.fromId(options.preset);
        int trainThreads = EngineSetup.threads(options.threads);
        EngineSetup.configure(trainThreads);
        TrainingConfig config = TrainingConfig.forPreset(chosen, options.epochs, options.seed, options.testSeed,
                trainThreads, options.trainLimit);
        Path run = options.runDir != null ? options.runDir : Path.of("runs", "pipeline-" + chosen.id());
        List<String[]> timings = new ArrayList<>();

        if (Checkpoint.existsIn(run)) {
            throw new IllegalArgumentException(run + " already holds a run; pass another --run-dir or remove it");
        }
        OutputDirectory.requireCreatable(run, "--run-dir");
        OutputDirectory.requireCreatable(options.out, "--out");
        OutputDirectory.requireCreatable(options.reportDir, "--report-dir");

        long t0 = System.nanoTime();
        MnistData mnist = MnistSources.of(options.data).load();
        timings.add(stage("data", t0));

        long t1 = System.nanoTime();
        List<EpochMetrics> history = TrainingRun.fresh(config, mnist, run).run();
        timings.add(stage("train", t1));

        long t2 = System.nanoTime();
        ModelExport.Result export = new ModelExport().export(run, options.out, 256, mnist.test(), 256, commandLine);
        for (String curve : new String[] {"accuracy.png", "loss.png"}) {
            Files.copy(run.resolve(curve), options.out.resolve(curve), StandardCopyOption.REPLACE_EXISTING);
        }
        timings.add(stage("export", t2));

        long t3 = System.nanoTime();
        ParityReport parity = EngineParity.check(run, options.out, mnist::test, 0, Tolerance.DEFAULTS,
                RuntimeOptions.defaults());
        ReportWriter.write(parity, options.reportDir);
        timings.add(stage("parity", t3));

        EpochMetrics last = history.get(history.size() - 1);
        double trainSeconds = history.stream().mapToDouble(EpochMetrics::trainSeconds).sum();
        System.out.println();
        System.out.println("dualnet pipeline summary");
        row("preset", chosen.id() + " (" + config.epochs() + " epochs, batch " + config.batchSize() + ", seed "
                + options.seed + ")");
        row("test digit accuracy", pct(last.testDigitAccuracy()));
        row("test sum accuracy", pct(last.testSumAccuracy()));
        row("both right", pct(last.testBothAccuracy()));
        row("training time", String.format(Locale.ROOT, "%.1f s (steps only)", trainSeconds));
        for (TensorComparison o : parity.outputs()) {
            row("parity " + o.name(), String.format(Locale.ROOT, "%s, max abs error %.2e, %d outside tolerance; "
                    + "argmax %s", o.passed() ? "pass" : "FAIL", o.maxAbsError(), o.outsideTolerance(),
                    o.argmax() == null ? "-" : o.argmax().agreements() + "/" + o.argmax().rows()));
        }
        for (String[] timing : timings) {
            row("stage " + timing[0], timing[1]);
        }
        row("run directory", run.toAbsolutePath().toString());
        row("model", export.model().toAbsolutePath().toString());
        row("parity reports", options.reportDir.toAbsolutePath().toString());
        if (!parity.passed()) {
            System.out.println("parity FAILED: the exported model does not reproduce the trained network");
            return Cli.EXIT_FAILURE;
        }
        return Cli.EXIT_OK;
    }

    private static String[] stage(String name, long startNanos) {
        return new String[] {name, String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - startNanos) / 1e9)};
    }

    private static void row(String key, String value) {
        System.out.printf(Locale.ROOT, "  %-22s %s%n", key, value);
    }

    private static String pct(double fraction) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }
}
