package dev.dualnet.exporter.cli;

import dev.dualnet.exporter.ModelExport;
import dev.dualnet.exporter.parity.ParityChecks;
import dev.dualnet.exporter.parity.ParityReport;
import dev.dualnet.exporter.parity.ReportWriter;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.runtime.parity.OutputComparison;
import dev.dualnet.runtime.parity.Tolerance;
import dev.dualnet.trainer.cli.DataOptions;
import dev.dualnet.trainer.cli.EngineSetup;
import dev.dualnet.trainer.data.MnistData;
import dev.dualnet.trainer.model.Preset;
import dev.dualnet.trainer.train.Checkpoint;
import dev.dualnet.trainer.train.EpochMetrics;
import dev.dualnet.trainer.train.TrainingConfig;
import dev.dualnet.trainer.train.TrainingRun;
import dev.dualnet.trainer.util.OutputDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dualnet pipeline}: the main job. Fetches MNIST, trains, exports to the model repository,
 * runs the full parity check, and prints a summary. {@code --serve} (handled by the launcher) then
 * serves the new model.
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

    @Option(names = "--serve", description = "Serve the repository when done (the dualnet launcher starts the server).")
    boolean serve;

    @Mixin
    DataOptions data;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Preset chosen = Preset.fromId(preset);
        int trainThreads = EngineSetup.threads(threads);
        EngineSetup.configure(trainThreads);
        TrainingConfig config = TrainingConfig.forPreset(chosen, epochs, seed, testSeed, trainThreads, trainLimit);
        Path run = runDir != null ? runDir : Path.of("runs", "pipeline-" + chosen.id());
        List<String[]> timings = new ArrayList<>();

        if (Checkpoint.existsIn(run)) {
            throw new IllegalArgumentException(run + " already holds a run; pass another --run-dir or remove it");
        }
        OutputDirectory.requireCreatable(run, "--run-dir");
        OutputDirectory.requireCreatable(out, "--out");
        OutputDirectory.requireCreatable(reportDir, "--report-dir");

        long t0 = System.nanoTime();
        MnistData mnist = data.source().load();
        timings.add(stage("data", t0));

        long t1 = System.nanoTime();
        List<EpochMetrics> history = TrainingRun.fresh(config, mnist, run).run();
        timings.add(stage("train", t1));

        long t2 = System.nanoTime();
        ModelExport.Result export = new ModelExport().export(run, out, 256, mnist.test(), 256,
                "dualnet " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        for (String curve : new String[] {"accuracy.png", "loss.png"}) {
            Files.copy(run.resolve(curve), out.resolve(curve), StandardCopyOption.REPLACE_EXISTING);
        }
        timings.add(stage("export", t2));

        long t3 = System.nanoTime();
        ParityReport parity = ParityChecks.engineVsRuntime(run, out, mnist::test, 0, Tolerance.DEFAULT, Tolerance.DEFAULT,
                RuntimeOptions.defaults());
        ReportWriter.write(parity, reportDir);
        timings.add(stage("parity", t3));

        EpochMetrics last = history.get(history.size() - 1);
        double trainSeconds = history.stream().mapToDouble(EpochMetrics::trainSeconds).sum();
        System.out.println();
        System.out.println("dualnet pipeline summary");
        row("preset", chosen.id() + " (" + config.epochs() + " epochs, batch " + config.batchSize() + ", seed " + seed + ")");
        row("test digit accuracy", pct(last.testDigitAccuracy()));
        row("test sum accuracy", pct(last.testSumAccuracy()));
        row("both right", pct(last.testBothAccuracy()));
        row("training time", String.format(Locale.ROOT, "%.1f s (steps only)", trainSeconds));
        for (OutputComparison o : parity.outputs()) {
            row("parity " + o.name(), String.format(Locale.ROOT, "%s, max abs error %.2e, argmax %d/%d, %d outside tolerance",
                    o.passed() ? "pass" : "FAIL", o.maxAbsError(), o.argmaxAgreements(), o.rows(), o.outsideTolerance()));
        }
        for (String[] timing : timings) {
            row("stage " + timing[0], timing[1]);
        }
        row("run directory", run.toAbsolutePath().toString());
        row("model", export.model().toAbsolutePath().toString());
        row("parity reports", reportDir.toAbsolutePath().toString());
        if (!parity.passed()) {
            System.out.println("parity FAILED: the exported model does not reproduce the trained network");
            return 1;
        }
        if (serve) {
            System.out.println("starting the server on " + out.toAbsolutePath().getParent() + " ...");
        }
        return 0;
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
