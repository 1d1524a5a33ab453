package dev.dualnet.server.metrics;

import dev.dualnet.server.models.ServedModel;
import dev.dualnet.server.models.ServedVersion;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Collection;

/** The server's Prometheus metrics, in a registry of its own. */
public final class ServerMetrics {
    /** One set of latency buckets for HTTP and gRPC, so that their histograms compare bucket by bucket. */
    private static final double[] LATENCY_BOUNDS_SECONDS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
        0.25, 0.5, 1, 2.5};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests = Counter.builder()
            .name("dualnet_http_requests_total")
            .help("HTTP requests by route, method and status")
            .labelNames("route", "method", "status")
            .register(registry);
    private final Histogram latency = Histogram.builder()
            .name("dualnet_http_request_duration_seconds")
            .help("HTTP request latency by route")
            .labelNames("route")
            .classicUpperBounds(LATENCY_BOUNDS_SECONDS)
            .register(registry);
    private final Counter grpcCalls = Counter.builder()
            .name("dualnet_grpc_requests_total")
            .help("gRPC calls by method and status code; a stream counts once, when it ends")
            .labelNames("method", "code")
            .register(registry);
    private final Histogram grpcLatency = Histogram.builder()
            .name("dualnet_grpc_request_duration_seconds")
            .help("gRPC call latency by method; a stream's is its whole life")
            .labelNames("method")
            .classicUpperBounds(LATENCY_BOUNDS_SECONDS)
            .register(registry);
    private final Histogram batchSizes = Histogram.builder()
            .name("dualnet_batch_size")
            .help("Rows per runtime call made by the dynamic batcher")
            .classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
            .register(registry);
    private final Gauge models = Gauge.builder()
            .name("dualnet_model_ready")
            .help("1 per serving model version, 0 for a model that serves none; labels say where it runs")
            .labelNames("model", "version", "execution_provider", "parity")
            .register(registry);

    public void recordRequest(String route, String method, int status, double seconds) {
        requests.labelValues(route, method, Integer.toString(status)).inc();
        latency.labelValues(route).observe(seconds);
    }

    /** @param code the gRPC status code's name, such as OK or UNAVAILABLE */
    public void recordGrpcCall(String method, String code, double seconds) {
        grpcCalls.labelValues(method, code).inc();
        grpcLatency.labelValues(method).observe(seconds);
    }

    public void recordBatch(int rows) {
        batchSizes.observe(rows);
    }

    /** Replaces the model gauge with one series per serving version, and one at 0 per model that serves none. */
    public synchronized void recordModels(Collection<ServedModel> served) {
        models.clear();
        for (ServedModel model : served) {
            if (!model.ready()) {
                models.labelValues(model.name(), "", "none", "failed").set(0);
            }
            for (ServedVersion version : model.versions()) {
                models.labelValues(model.name(), Long.toString(version.version()), version.executionProvider().name(),
                        version.parity()).set(1);
            }
        }
    }

    /** The Prometheus text exposition of every metric. */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
        return out.toByteArray();
    }

    public static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }
}
