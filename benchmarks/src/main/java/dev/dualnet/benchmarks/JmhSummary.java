package dev.dualnet.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Prints {@link InferenceBenchmark} results from JMH's JSON output as samples per second, microseconds
 * per call, and the ONNX Runtime / DJL ratio for each batch size.
 *
 * <p>Usage: {@code JmhSummary RESULT.json [RESULT.json ...]}
 */
public final class JmhSummary {
    private JmhSummary() {}

    public static void main(String[] args) throws Exception {
        Map<String, double[]> rows = new LinkedHashMap<>();
        ObjectMapper mapper = new ObjectMapper();
        System.out.printf(Locale.ROOT, "%-12s %6s %8s %14s %14s %12s%n", "engine", "batch", "threads", "calls/s",
                "samples/s", "us/call");
        for (String file : args) {
            for (JsonNode result : mapper.readTree(Path.of(file).toFile())) {
                String method = result.path("benchmark").asText();
                String engine = method.endsWith("onnxRuntime") ? "onnxruntime" : "djl-pytorch";
                int batch = result.path("params").path("batch").asInt();
                int threads = result.path("params").path("threads").asInt();
                double score = result.path("primaryMetric").path("score").asDouble();
                double error = result.path("primaryMetric").path("scoreError").asDouble();
                System.out.printf(Locale.ROOT, "%-12s %6d %8d %,14.0f %,14.0f %12.2f  (±%.1f%% of calls/s)%n", engine,
                        batch, threads, score, score * batch, 1e6 / score, 100 * error / score);
                rows.computeIfAbsent(batch + "/" + threads, k -> new double[2])[engine.equals("onnxruntime") ? 0 : 1] =
                        score;
            }
        }
        rows.forEach((key, scores) -> {
            if (scores[0] > 0 && scores[1] > 0) {
                String[] parts = key.split("/");
                System.out.printf(Locale.ROOT, "ratio ONNX Runtime / DJL at batch %s, %s thread(s): %.2fx%n", parts[0],
                        parts[1], scores[0] / scores[1]);
            }
        });
    }
}
