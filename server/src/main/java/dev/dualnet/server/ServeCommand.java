package dev.dualnet.server;

import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.server.models.ModelStore;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dualnet serve}: the HTTP server over the model repository. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Serve every ONNX model in a Triton-style model repository over HTTP: the Open Inference Protocol "
                    + "(KServe v2) at /v2, POST /predict for dualnet models, GET /metrics for Prometheus, and a page "
                    + "to try the model at /. SIGTERM drains in-flight requests and exits 0.",
            ""
        })
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "PORT", description = "Port (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int port;

    @Option(names = "--model-dir", defaultValue = "models", paramLabel = "DIR",
            description = "Model repository: NAME/config.pbtxt and NAME/VERSION/model.onnx (default: ${DEFAULT-VALUE}).")
    Path modelDir;

    @Option(names = "--max-batch-size", defaultValue = "64", paramLabel = "N",
            description = "Largest batch the dynamic batcher forms (default: ${DEFAULT-VALUE}).")
    int maxBatchSize;

    @Option(names = "--batch-delay-us", defaultValue = "500", paramLabel = "US",
            description = "How long a batch waits for more requests, in microseconds (default: ${DEFAULT-VALUE}).")
    long batchDelayMicros;

    @Option(names = "--no-batching", description = "Run every request on its own.")
    boolean noBatching;

    @Option(names = "--body-limit", defaultValue = "8MB", paramLabel = "SIZE",
            description = "Largest request body, e.g. 512KB, 8MB (default: ${DEFAULT-VALUE}); larger gets 413.")
    String bodyLimit;

    @Option(names = "--threads", defaultValue = "128", paramLabel = "N",
            description = "HTTP worker threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--intra-op-threads", defaultValue = "0", paramLabel = "N",
            description = "ONNX Runtime threads per operator (default: ${DEFAULT-VALUE} = its choice).")
    int intraOpThreads;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEV",
            description = "auto (CUDA when available, else CPU), cuda or cpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be 0..65535, got " + port);
        }
        requireAtLeast("--max-batch-size", maxBatchSize, 1);
        requireAtLeast("--batch-delay-us", batchDelayMicros, 0);
        requireAtLeast("--threads", threads, 4);
        requireAtLeast("--intra-op-threads", intraOpThreads, 0);
        RuntimeOptions.Device dev = RuntimeOptions.Device.parse(device);
        DualnetServer.Settings settings = new DualnetServer.Settings(host, port, modelDir,
                new ModelStore.Settings(new RuntimeOptions(dev, 0, intraOpThreads, RuntimeOptions.Optimization.ALL),
                        !noBatching, maxBatchSize, batchDelayMicros),
                parseSize(bodyLimit), threads);
        DualnetServer server;
        try {
            server = DualnetServer.start(settings);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.drainAndStop(30_000);
            stopped.countDown();
            // A drained stop on SIGTERM is a clean exit; halt with 0 rather than the JVM's 143.
            Runtime.getRuntime().halt(0);
        }, "dualnet-shutdown"));
        System.out.printf("dualnet server listening on http://%s:%d (models: %s)%n", host, server.port(),
                server.models().all().stream().map(m -> m.name() + (m.ready() ? "" : " [not ready]")).toList());
        stopped.await();
        return 0;
    }

    static long parseSize(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("KB")) {
            unit = 1L << 10;
        } else if (t.endsWith("MB")) {
            unit = 1L << 20;
        } else if (t.endsWith("GB")) {
            unit = 1L << 30;
        }
        String digits = unit == 1 ? t.replaceAll("B$", "") : t.substring(0, t.length() - 2);
        try {
            long value = Long.parseLong(digits.strip()) * unit;
            if (value < 1024) {
                throw new IllegalArgumentException("--body-limit must be at least 1KB, got " + text);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--body-limit '" + text + "' is not a size like 512KB or 8MB");
        }
    }

    private static void requireAtLeast(String option, long value, long least) {
        if (value < least) {
            throw new IllegalArgumentException(option + " must be at least " + least + ", got " + value);
        }
    }
}
