package dev.dualnet.cli;

import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.server.DualnetServer;
import dev.dualnet.server.http.BufferedBodyHandler;
import dev.dualnet.server.models.ModelControl;
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
                    + "(KServe v2) at /v2 with Triton's model configuration, statistics and repository extensions, "
                    + "POST /predict for dualnet models, GET /metrics for Prometheus, and a page to try the model at /; "
                    + "and the Open Inference Protocol over gRPC on --grpc-port. SIGTERM drains in-flight requests and "
                    + "exits 0.",
            ""
        })
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "PORT", description = "Port (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int port;

    @Option(names = "--grpc-port", defaultValue = "8081", paramLabel = "PORT",
            description = "Port of the Open Inference Protocol over gRPC (Triton's and KServe's "
                    + "GRPCInferenceService), on the same host (default: ${DEFAULT-VALUE}; 0 = any free port; "
                    + "-1 = no gRPC).")
    int grpcPort;

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

    @Option(names = "--body-timeout-ms", defaultValue = "30000", paramLabel = "MS",
            description = "Time a request body may take to arrive in full, from the end of its headers "
                    + "(default: ${DEFAULT-VALUE}); later gets 408.")
    long bodyTimeoutMillis;

    @Option(names = "--min-body-rate", defaultValue = "1KB", paramLabel = "SIZE",
            description = "Slowest average rate per second a request body may arrive at, judged after its first "
                    + "second (default: ${DEFAULT-VALUE}); slower gets 408.")
    String minBodyRate;

    @Option(names = "--max-queue-size", defaultValue = "256", paramLabel = "N",
            description = "Requests a model holds at once, queued or running, unless its config.pbtxt sets "
                    + "dynamic_batching.default_queue_policy.max_queue_size (default: ${DEFAULT-VALUE}); "
                    + "more get 503 with Retry-After.")
    int maxQueueSize;

    @Option(names = "--cors-origin", paramLabel = "ORIGIN",
            description = "Let pages of this origin (e.g. https://app.example.com) call the server from a browser; "
                    + "repeat for more. None by default.")
    java.util.List<String> corsOrigins = new java.util.ArrayList<>();

    @Option(names = "--threads", defaultValue = "128", paramLabel = "N",
            description = "HTTP worker threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--intra-op-threads", defaultValue = "0", paramLabel = "N",
            description = "ONNX Runtime threads per operator (default: ${DEFAULT-VALUE} = its choice).")
    int intraOpThreads;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEV",
            description = "auto (CUDA when available, else CPU), cuda or cpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--model-control", defaultValue = "none", paramLabel = "MODE",
            description = "none: the models found at startup serve until the server stops; explicit: POST "
                    + "/v2/repository/models/NAME/load and /unload change what serves; poll: the repository is also "
                    + "rescanned every --repository-poll-secs and its changes followed (default: ${DEFAULT-VALUE}). "
                    + "Load and unload are open to anyone who reaches the port: keep --host 127.0.0.1 or a private "
                    + "address with them.")
    String modelControl;

    @Option(names = "--repository-poll-secs", defaultValue = "15", paramLabel = "S",
            description = "With --model-control poll: seconds between rescans of the repository (default: "
                    + "${DEFAULT-VALUE}).")
    long pollSeconds;

    @Option(names = "--load-model", paramLabel = "NAME",
            description = "With --model-control explicit: load only this model at startup; repeat for more (default: "
                    + "every model).")
    java.util.List<String> loadModels = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be 0..65535, got " + port);
        }
        if (grpcPort < DualnetServer.Settings.NO_GRPC || grpcPort > 65535) {
            throw new IllegalArgumentException("--grpc-port must be 0..65535, or -1 for no gRPC, got " + grpcPort);
        }
        if (grpcPort == port && port != 0) {
            throw new IllegalArgumentException("--grpc-port and --port are both " + port + "; give gRPC a port of its own");
        }
        requireAtLeast("--max-batch-size", maxBatchSize, 1);
        requireAtLeast("--batch-delay-us", batchDelayMicros, 0);
        requireAtLeast("--threads", threads, 4);
        requireAtLeast("--intra-op-threads", intraOpThreads, 0);
        requireAtLeast("--body-timeout-ms", bodyTimeoutMillis, 100);
        requireAtLeast("--max-queue-size", maxQueueSize, 1);
        for (String origin : corsOrigins) {
            if (!origin.matches("https?://[^/\\s]+")) {
                throw new IllegalArgumentException("--cors-origin '" + origin + "' is not an origin like "
                        + "https://app.example.com or http://localhost:3000 (scheme, host and optional port, no path)");
            }
        }
        RuntimeOptions.Device dev = RuntimeOptions.Device.parse(device);
        ModelControl control = ModelControl.parse(modelControl);
        if (control == ModelControl.POLL) {
            requireAtLeast("--repository-poll-secs", pollSeconds, 1);
        }
        if (!loadModels.isEmpty() && control != ModelControl.EXPLICIT) {
            throw new IllegalArgumentException("--load-model applies with --model-control explicit");
        }
        DualnetServer.Settings settings = new DualnetServer.Settings(host, port, modelDir,
                new ModelStore.Settings(new RuntimeOptions(dev, 0, intraOpThreads, RuntimeOptions.Optimization.ALL),
                        !noBatching, maxBatchSize, batchDelayMicros, maxQueueSize),
                new BufferedBodyHandler.Limits(parseSize("--body-limit", bodyLimit, 1024), bodyTimeoutMillis,
                        parseSize("--min-body-rate", minBodyRate, 1), 1_000),
                threads, corsOrigins, grpcPort,
                new ModelStore.Control(control, java.util.Set.copyOf(loadModels), pollSeconds));
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
        if (server.grpcPort() != DualnetServer.Settings.NO_GRPC) {
            System.out.printf("gRPC (Open Inference Protocol) listening on %s:%d%n", host, server.grpcPort());
        }
        stopped.await();
        return 0;
    }

    static long parseSize(String option, String text, long least) {
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
            if (value < least) {
                throw new IllegalArgumentException(option + " must be at least " + least + " bytes, got " + text);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " '" + text + "' is not a size like 512KB or 8MB");
        }
    }

    private static void requireAtLeast(String option, long value, long least) {
        if (value < least) {
            throw new IllegalArgumentException(option + " must be at least " + least + ", got " + value);
        }
    }
}
