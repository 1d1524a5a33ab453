package dev.dualnet.trainer.report;

import com.fasterxml.jackson.databind.ObjectWriter;
import dev.dualnet.common.AtomicFiles;
import dev.dualnet.common.Json;
import dev.dualnet.trainer.train.EpochMetrics;
import dev.dualnet.trainer.train.TrainingConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes the human- and machine-readable records of a run directory: {@value #RUN_FILE} (config,
 * data checksums, environment), {@value #METRICS_JSON} and {@value #METRICS_CSV} (one row per epoch)
 * and the training curves. Every file is replaced atomically.
 */
public final class RunRecorder {
    public static final String RUN_FILE = "run.json";
    public static final String METRICS_JSON = "metrics.json";
    public static final String METRICS_CSV = "metrics.csv";

    private static final String CSV_HEADER = "epoch,train_loss,train_digit_accuracy,train_sum_accuracy,test_loss,"
            + "test_digit_accuracy,test_sum_accuracy,test_both_accuracy,learning_rate,train_seconds,samples_per_second";

    private final Path runDir;
    private final ObjectWriter json = Json.writer();

    public RunRecorder(Path runDir) {
        this.runDir = runDir;
    }

    public Path runDir() {
        return runDir;
    }

    /**
     * Records what the run is made of.
     *
     * @param environment engine, device, versions and other facts about where the run trains
     * @throws IOException if the file cannot be written
     */
    public void writeRun(TrainingConfig config, Map<String, String> dataChecksums, Map<String, Object> environment,
            int trainSamples, int testSamples) throws IOException {
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("config", config);
        run.put("data", Map.of("checksums", dataChecksums, "trainSamples", trainSamples, "testSamples", testSamples));
        run.put("environment", environment);
        AtomicFiles.writeString(runDir.resolve(RUN_FILE), json.writeValueAsString(run));
    }

    /**
     * Rewrites the metrics files and curves for the epochs so far.
     *
     * @throws IOException if a file cannot be written
     */
    public void writeMetrics(List<EpochMetrics> history) throws IOException {
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("epochs", history);
        if (!history.isEmpty()) {
            metrics.put("final", history.get(history.size() - 1));
        }
        AtomicFiles.writeString(runDir.resolve(METRICS_JSON), json.writeValueAsString(metrics));

        StringBuilder csv = new StringBuilder(CSV_HEADER).append('\n');
        for (EpochMetrics m : history) {
            csv.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.8f,%.3f,%.1f%n",
                    m.epoch(), m.trainLoss(), m.trainDigitAccuracy(), m.trainSumAccuracy(), m.testLoss(),
                    m.testDigitAccuracy(), m.testSumAccuracy(), m.testBothAccuracy(), m.learningRate(),
                    m.trainSeconds(), m.samplesPerSecond()));
        }
        AtomicFiles.writeString(runDir.resolve(METRICS_CSV), csv.toString());
        TrainingCurves.write(runDir, history);
    }
}
