package dev.dualnet.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.server.grpc.GrpcEndpoint;
import dev.dualnet.server.http.ApiException;
import dev.dualnet.server.http.BufferedBodyHandler;
import dev.dualnet.server.http.ClientFaults;
import dev.dualnet.server.http.ErrorBodies;
import dev.dualnet.server.http.JsonErrorHandler;
import dev.dualnet.server.http.MethodFilter;
import dev.dualnet.server.http.Responders;
import dev.dualnet.server.http.Routes;
import dev.dualnet.server.metrics.ServerMetrics;
import dev.dualnet.server.models.ModelControl;
import dev.dualnet.server.models.ModelControlException;
import dev.dualnet.server.models.ModelStore;
import dev.dualnet.server.models.ModelUnavailableException;
import dev.dualnet.server.models.ServedModel;
import dev.dualnet.server.models.UnknownModelException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server: loads the model repository, serves the Open Inference Protocol, /predict, the
 * page, and metrics, and drains in-flight requests on stop. The Open Inference Protocol is also
 * served over gRPC on a port of its own ({@link GrpcEndpoint}).
 */
public final class DualnetServer implements AutoCloseable {
    public static final String VERSION = "0.1.0";
    private static final Logger LOG = LoggerFactory.getLogger(DualnetServer.class);
    /** How long a drained server waits for idle keep-alive connections to close before it closes them. */
    private static final long IDLE_CONNECTION_GRACE_MILLIS = 1_000;
    /** Connections the kernel may hold ready for accepting (capped by net.core.somaxconn). */
    private static final int ACCEPT_QUEUE = 4096;
    /** Enough that a few slow clients cannot hold up every response; more buys nothing on small machines. */
    private static final int RESPONDER_THREADS = Math.max(4, Runtime.getRuntime().availableProcessors());

    private final ModelStore store;
    private final ServerMetrics metrics;
    private final Javalin app;
    private final Responders responders;
    private final GracefulHandler graceful;
    /** Null when the settings turn gRPC off. */
    private GrpcEndpoint grpc;
    private volatile boolean draining;

    /**
     * Everything the server can be told.
     *
     * @param host address to bind
     * @param port port to bind, 0 for any free one
     * @param modelDir model repository root
     * @param models how models are loaded and batched
     * @param body how large, how slow and how late a request body may be
     * @param threads HTTP worker threads
     * @param corsOrigins origins whose pages may call the server from a browser; none by default
     * @param grpcPort port of the gRPC endpoint on the same host, 0 for any free one, {@value #NO_GRPC} for none
     * @param control who may load and unload models while the server runs
     */
    public record Settings(String host, int port, Path modelDir, ModelStore.Settings models,
            BufferedBodyHandler.Limits body, int threads, List<String> corsOrigins, int grpcPort,
            ModelStore.Control control) {
        /** The gRPC port that turns the gRPC endpoint off. */
        public static final int NO_GRPC = -1;

        public Settings {
            corsOrigins = List.copyOf(corsOrigins);
            if (grpcPort < NO_GRPC || grpcPort > 65535) {
                throw new IllegalArgumentException("gRPC port must be 0..65535, or " + NO_GRPC + " for none; got "
                        + grpcPort);
            }
        }

        /** With the repository fixed at startup. */
        public Settings(String host, int port, Path modelDir, ModelStore.Settings models,
                BufferedBodyHandler.Limits body, int threads, List<String> corsOrigins, int grpcPort) {
            this(host, port, modelDir, models, body, threads, corsOrigins, grpcPort, ModelStore.Control.none());
        }

        /** HTTP only, with the repository fixed at startup: for embedders that name no gRPC port. */
        public Settings(String host, int port, Path modelDir, ModelStore.Settings models,
                BufferedBodyHandler.Limits body, int threads, List<String> corsOrigins) {
            this(host, port, modelDir, models, body, threads, corsOrigins, NO_GRPC);
        }

        /** The same settings with another model control. */
        public Settings withControl(ModelStore.Control newControl) {
            return new Settings(host, port, modelDir, models, body, threads, corsOrigins, grpcPort, newControl);
        }
    }

    private DualnetServer(ModelStore store, ServerMetrics metrics, Responders responders, GracefulHandler graceful,
            Javalin app) {
        this.store = store;
        this.metrics = metrics;
        this.responders = responders;
        this.graceful = graceful;
        this.app = app;
    }

    /**
     * Loads the models and starts listening.
     *
     * @throws IOException if the model directory cannot be read, no model in it can be served, or the
     *     address cannot be bound
     */
    public static DualnetServer start(Settings settings) throws IOException {
        try {
            InetAddress.getByName(settings.host());
        } catch (UnknownHostException e) {
            // Before the models load: a typo in --host should not wait for them.
            throw new IOException("cannot listen on " + settings.host() + ": no such host (expected an address of "
                    + "this machine, e.g. 127.0.0.1 or 0.0.0.0)", e);
        }
        ServerMetrics metrics = new ServerMetrics();
        ModelStore store = ModelStore.open(settings.modelDir(), settings.models(), settings.control(),
                metrics::recordBatch);
        boolean controlled = settings.control().mode() != ModelControl.NONE;
        if (!controlled && store.all().stream().noneMatch(ServedModel::ready)) {
            // Listening with nothing to serve would only hide the failure from whoever started the server.
            String reasons = store.all().stream().map(m -> "model '" + m.name() + "': " + m.reason())
                    .collect(Collectors.joining("; "));
            store.close();
            throw new IOException("no model in " + settings.modelDir() + " can be served: "
                    + (reasons.isEmpty() ? "the directory holds no NAME/VERSION/model.onnx" : reasons));
        }
        if (controlled && store.all().stream().noneMatch(ServedModel::ready)) {
            LOG.warn("no model serves yet; load one with POST /v2/repository/models/NAME/load");
        }
        metrics.recordModels(store.all());
        store.onChange(() -> metrics.recordModels(store.all()));
        ObjectMapper json = JsonMapper.builder(JsonFactory.builder()
                        .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
                        .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
                        .build())
                .build();
        Responders responders = new Responders(RESPONDER_THREADS);
        ClientFaults faults = new ClientFaults();
        Routes routes = new Routes(store, metrics, json, VERSION, responders);
        DualnetServer[] self = new DualnetServer[1];
        GracefulHandler graceful = new GracefulHandler();
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jetty.addConnector((jetty, http) -> {
                ServerConnector connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
                connector.setHost(settings.host());
                connector.setPort(settings.port());
                // Java's default backlog of 50 drops the SYNs of a burst of new connections, which
                // clients then retry after 1, 3, 7 s: a latency the server never sees.
                connector.setAcceptQueueSize(ACCEPT_QUEUE);
                return connector;
            });
            config.jetty.threadPool = new QueuedThreadPool(settings.threads(), Math.min(8, settings.threads()));
            config.http.maxRequestSize = settings.body().maxBodyBytes();
            config.http.prefer405over404 = true; // a GET on an infer route is the wrong method, not a missing route
            config.jetty.modifyServer(jetty -> {
                // Our own shutdown drains requests first; Jetty's hook would cut them off.
                jetty.setStopAtShutdown(false);
                jetty.setErrorHandler(new JsonErrorHandler());
                // Outermost first: count every request until its response is out, then read its body.
                jetty.insertHandler(new BufferedBodyHandler(settings.body(), faults));
                jetty.insertHandler(new MethodFilter());
                jetty.insertHandler(graceful);
            });
            config.jetty.modifyServletContextHandler(context -> context.setErrorHandler(new JsonErrorHandler()));
            // Ambiguous URIs (encoded dots and separators, %u escapes) are refused as 400 rather than decoded.
            config.jetty.modifyHttpConfiguration(http -> http.setUriCompliance(UriCompliance.DEFAULT));
            if (!settings.corsOrigins().isEmpty()) {
                config.bundledPlugins.enableCors(cors -> cors.addRule(rule -> settings.corsOrigins()
                        .forEach(rule::allowHost)));
            }
            config.jsonMapper(new JavalinJackson(json, false));
            config.staticFiles.add(staticFiles -> {
                staticFiles.hostedPath = "/";
                staticFiles.directory = "/public";
                staticFiles.location = Location.CLASSPATH;
            });
            config.requestLogger.http((ctx, millis) -> metrics.recordRequest(route(ctx), ctx.method().name(),
                    ctx.statusCode(), millis / 1000.0));
            config.routes.get("/v2/health/live", tracked(self, routes::live));
            config.routes.get("/v2/health/ready", tracked(self, routes::ready));
            config.routes.get("/v2", tracked(self, routes::serverMetadata));
            // Before /v2/models/{name}, which would take "stats" for a model's name.
            config.routes.get("/v2/models/stats", tracked(self, routes::modelStatistics));
            config.routes.get("/v2/models/{name}", tracked(self, routes::modelMetadata));
            config.routes.get("/v2/models/{name}/versions/{version}", tracked(self, routes::modelMetadata));
            config.routes.get("/v2/models/{name}/ready", tracked(self, routes::modelReady));
            config.routes.get("/v2/models/{name}/config", tracked(self, routes::modelConfig));
            config.routes.get("/v2/models/{name}/versions/{version}/config", tracked(self, routes::modelConfig));
            config.routes.get("/v2/models/{name}/stats", tracked(self, routes::modelStatistics));
            config.routes.get("/v2/models/{name}/versions/{version}/stats", tracked(self, routes::modelStatistics));
            config.routes.post("/v2/repository/index", tracked(self, routes::repositoryIndex));
            config.routes.post("/v2/repository/models/{name}/load", tracked(self, routes::repositoryLoad));
            config.routes.post("/v2/repository/models/{name}/unload", tracked(self, routes::repositoryUnload));
            config.routes.get("/v2/models/{name}/versions/{version}/ready", tracked(self, routes::modelReady));
            config.routes.post("/v2/models/{name}/infer", tracked(self, routes::infer));
            config.routes.post("/v2/models/{name}/versions/{version}/infer", tracked(self, routes::infer));
            config.routes.post("/predict", tracked(self, routes::predict));
            config.routes.get("/models", tracked(self, routes::models));
            config.routes.get("/models/{name}/card", tracked(self, routes::modelCard));
            config.routes.get("/metrics", tracked(self, routes::metrics));
            config.routes.exception(ApiException.class, (e, ctx) -> {
                if (e.retryAfterSeconds() > 0) {
                    ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
                }
                error(ctx, e.status(), e.getMessage());
            });
            config.routes.exception(InvalidInputException.class, (e, ctx) -> error(ctx, 400, e.getMessage()));
            config.routes.exception(ModelUnavailableException.class, (e, ctx) -> {
                if (e.retryLater()) {
                    ctx.header("Retry-After", "1");
                }
                error(ctx, 503, e.getMessage());
            });
            config.routes.exception(UnknownModelException.class, (e, ctx) -> error(ctx, 404, e.getMessage()));
            config.routes.exception(ModelControlException.class, (e, ctx) -> error(ctx, switch (e.reason()) {
                case DISABLED -> 403;
                case UNKNOWN -> 404;
                case FAILED -> 400;
            }, e.getMessage()));
            config.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(),
                    e.getStatus() == 413 ? "request body larger than " + settings.body().maxBodyBytes() + " bytes"
                            : JsonErrorHandler.describe(e.getStatus())));
            config.routes.exception(Exception.class, (e, ctx) -> {
                // A real fault: the client gets an id to quote, the log gets the cause once under it.
                String requestId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
                LOG.error("request {}: {} {} failed", requestId, ctx.method(), ctx.path(), e);
                ctx.status(500).contentType(ErrorBodies.JSON)
                        .result(ErrorBodies.json("internal server error (request id " + requestId + ")", requestId));
            });
            config.routes.error(404, "*", ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty()) {
                    error(ctx, 404, "no route " + ctx.method() + " " + ctx.path());
                }
            });
            config.routes.error(405, "*", ctx -> error(ctx, 405, "method " + ctx.method() + " not allowed on " + ctx.path()));
        });
        DualnetServer server = new DualnetServer(store, metrics, responders, graceful, app);
        self[0] = server;
        try {
            app.start();
        } catch (RuntimeException e) {
            store.close();
            responders.close();
            throw new IOException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + bindFailure(e), e);
        }
        if (settings.grpcPort() != Settings.NO_GRPC) {
            try {
                server.grpc = GrpcEndpoint.start(settings.host(), settings.grpcPort(), store, metrics, VERSION,
                        (int) Math.min(settings.body().maxBodyBytes(), Integer.MAX_VALUE));
            } catch (IOException e) {
                app.stop();
                responders.close();
                store.close();
                throw e;
            }
        }
        LOG.info("dualnet server {} listening on http://{}:{} with {} model(s)", VERSION, settings.host(), app.port(),
                store.all().size());
        return server;
    }

    /**
     * Javalin words every bind failure as "port already in use"; the socket's own message says which
     * it was (an address this machine does not have, a port that needs privileges, ...).
     */
    private static String bindFailure(RuntimeException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SocketException && cause.getMessage() != null) {
                return cause.getMessage();
            }
        }
        return e.getMessage();
    }

    /** Refuses the request once the server drains; Jetty's graceful handler counts it meanwhile. */
    private static Handler tracked(DualnetServer[] self, Handler handler) {
        return ctx -> {
            if (self[0].draining) {
                ctx.header("Connection", "close");
                throw new ApiException(503, "server is shutting down", 1);
            }
            handler.handle(ctx);
        };
    }

    private static void error(Context ctx, int status, String message) {
        ctx.status(status).contentType(ErrorBodies.JSON).result(ErrorBodies.json(message, null));
    }

    private static String route(Context ctx) {
        var endpoint = ctx.endpoints().lastHttpEndpoint();
        // Static files are served outside the router; everything else unmatched is a 404.
        return endpoint != null ? endpoint.path : ctx.statusCode() == 404 ? "unmatched" : "static";
    }

    public int port() {
        return app.port();
    }

    /** The gRPC endpoint's port, or {@link Settings#NO_GRPC} when it is off. */
    public int grpcPort() {
        return grpc == null ? Settings.NO_GRPC : grpc.port();
    }

    public ModelStore models() {
        return store;
    }

    /**
     * Stops taking connections, answers requests on open connections with 503 and
     * {@code Connection: close}, waits up to {@code timeoutMillis} for every accepted request to
     * be answered, then stops the listener and frees the models. The gRPC endpoint drains alongside:
     * its calls under way finish, new ones get UNAVAILABLE.
     */
    public void drainAndStop(long timeoutMillis) {
        draining = true;
        if (grpc != null) {
            grpc.drain();
        }
        for (Connector connector : app.jettyServer().server().getConnectors()) {
            // Closes the listening socket only: a new connection is refused at once rather than accepted and
            // dropped, while open ones get their answers. (A Jetty shutdown would also half-close each
            // connection after its current response, failing a request its client already sent.)
            if (connector instanceof NetworkConnector network) {
                try {
                    network.close();
                } catch (RuntimeException e) {
                    LOG.warn("closing the listener failed: {}", e.toString());
                }
            }
        }
        LOG.info("shutting down: draining {} in-flight request(s)", inFlightCount());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        long idleSince = 0;
        while (System.nanoTime() < deadline) {
            if (inFlightCount() > 0) {
                idleSince = 0;
            } else if (openConnections() == 0) {
                break;
            } else if (idleSince == 0) {
                idleSince = System.nanoTime();
            } else if (System.nanoTime() - idleSince > TimeUnit.MILLISECONDS.toNanos(IDLE_CONNECTION_GRACE_MILLIS)) {
                break; // keep-alive connections whose clients send nothing more
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (inFlightCount() > 0) {
            LOG.warn("stopping with {} request(s) still in flight after {} ms", inFlightCount(), timeoutMillis);
        }
        if (grpc != null) {
            grpc.awaitDrained(TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            grpc.close();
        }
        app.stop();
        responders.close();
        store.close();
        LOG.info("dualnet server stopped");
    }

    /** Requests accepted and not yet fully answered: bodies being read, handlers, pending inference. */
    private long inFlightCount() {
        return graceful.getCurrentRequestCount();
    }

    private int openConnections() {
        int open = 0;
        for (Connector connector : app.jettyServer().server().getConnectors()) {
            open += connector.getConnectedEndPoints().size();
        }
        return open;
    }

    @Override
    public void close() {
        drainAndStop(TimeUnit.SECONDS.toMillis(30));
    }
}
