package dev.dualnet.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.server.http.ApiException;
import dev.dualnet.server.http.InFlightRequests;
import dev.dualnet.server.http.Routes;
import dev.dualnet.server.metrics.ServerMetrics;
import dev.dualnet.server.models.ModelStore;
import dev.dualnet.server.models.ServedModel;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server: loads the model repository, serves the Open Inference Protocol, /predict, the
 * page, and metrics, and drains in-flight requests on stop.
 */
public final class DualnetServer implements AutoCloseable {
    public static final String VERSION = "0.1.0";
    private static final Logger LOG = LoggerFactory.getLogger(DualnetServer.class);
    private static final long RESPONSE_FLUSH_MILLIS = 250;
    /** Enough that a few slow clients cannot hold up every response; more buys nothing on small machines. */
    private static final int RESPONDER_THREADS = Math.max(4, Runtime.getRuntime().availableProcessors());

    private final ModelStore store;
    private final ServerMetrics metrics;
    private final Javalin app;
    private final InFlightRequests inFlight;
    private volatile boolean draining;

    /**
     * Everything the server can be told.
     *
     * @param host address to bind
     * @param port port to bind, 0 for any free one
     * @param modelDir model repository root
     * @param models how models are loaded and batched
     * @param maxBodyBytes largest request body accepted (413 beyond)
     * @param threads HTTP worker threads
     */
    public record Settings(String host, int port, Path modelDir, ModelStore.Settings models, long maxBodyBytes,
            int threads) {}

    private DualnetServer(ModelStore store, ServerMetrics metrics, InFlightRequests inFlight, Javalin app) {
        this.store = store;
        this.metrics = metrics;
        this.inFlight = inFlight;
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
        ModelStore store = ModelStore.load(settings.modelDir(), settings.models(), metrics::recordBatch);
        if (store.all().stream().noneMatch(ServedModel::ready)) {
            // Listening with nothing to serve would only hide the failure from whoever started the server.
            String reasons = store.all().stream().map(m -> "model '" + m.name() + "': " + m.reason())
                    .collect(Collectors.joining("; "));
            store.close();
            throw new IOException("no model in " + settings.modelDir() + " can be served: "
                    + (reasons.isEmpty() ? "the directory holds no NAME/VERSION/model.onnx" : reasons));
        }
        metrics.recordModels(store.all());
        ObjectMapper json = JsonMapper.builder(JsonFactory.builder()
                        .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
                        .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
                        .build())
                .build();
        InFlightRequests inFlight = new InFlightRequests(RESPONDER_THREADS);
        Routes routes = new Routes(store, metrics, json, VERSION, inFlight);
        DualnetServer[] self = new DualnetServer[1];
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jetty.host = settings.host();
            config.jetty.port = settings.port();
            config.jetty.threadPool = new QueuedThreadPool(settings.threads(), Math.min(8, settings.threads()));
            config.http.maxRequestSize = settings.maxBodyBytes();
            config.http.prefer405over404 = true; // a GET on an infer route is the wrong method, not a missing route
            // Our own shutdown drains requests first; Jetty's hook would cut them off.
            config.jetty.modifyServer(jetty -> jetty.setStopAtShutdown(false));
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
            config.routes.get("/v2/models/{name}", tracked(self, routes::modelMetadata));
            config.routes.get("/v2/models/{name}/versions/{version}", tracked(self, routes::modelMetadata));
            config.routes.get("/v2/models/{name}/ready", tracked(self, routes::modelReady));
            config.routes.get("/v2/models/{name}/versions/{version}/ready", tracked(self, routes::modelReady));
            config.routes.post("/v2/models/{name}/infer", tracked(self, routes::infer));
            config.routes.post("/v2/models/{name}/versions/{version}/infer", tracked(self, routes::infer));
            config.routes.post("/predict", tracked(self, routes::predict));
            config.routes.get("/models", tracked(self, routes::models));
            config.routes.get("/models/{name}/card", tracked(self, routes::modelCard));
            config.routes.get("/metrics", tracked(self, routes::metrics));
            config.routes.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.getMessage()));
            config.routes.exception(InvalidInputException.class, (e, ctx) -> error(ctx, 400, e.getMessage()));
            config.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(),
                    e.getStatus() == 413 ? "request body larger than " + settings.maxBodyBytes() + " bytes" : e.getMessage()));
            config.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
                error(ctx, 500, "internal error");
            });
            config.routes.error(404, "*", ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty()) {
                    error(ctx, 404, "no route " + ctx.method() + " " + ctx.path());
                }
            });
            config.routes.error(405, "*", ctx -> error(ctx, 405, "method " + ctx.method() + " not allowed on " + ctx.path()));
        });
        DualnetServer server = new DualnetServer(store, metrics, inFlight, app);
        self[0] = server;
        try {
            app.start();
        } catch (RuntimeException e) {
            store.close();
            inFlight.close();
            throw new IOException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + bindFailure(e), e);
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

    /** Counts the request as in flight while it runs, and refuses it once the server drains. */
    private static Handler tracked(DualnetServer[] self, Handler handler) {
        return ctx -> {
            DualnetServer server = self[0];
            server.inFlight.enter();
            try {
                if (server.draining) {
                    throw new ApiException(503, "server is shutting down");
                }
                handler.handle(ctx);
            } finally {
                server.inFlight.exit();
            }
        };
    }

    private static void error(Context ctx, int status, String message) {
        ctx.status(status).json(Map.of("error", message == null ? "error" : message));
    }

    private static String route(Context ctx) {
        var endpoint = ctx.endpoints().lastHttpEndpoint();
        // Static files are served outside the router; everything else unmatched is a 404.
        return endpoint != null ? endpoint.path : ctx.statusCode() == 404 ? "unmatched" : "static";
    }

    public int port() {
        return app.port();
    }

    public ModelStore models() {
        return store;
    }

    /**
     * Stops taking requests (503 to new ones), waits up to {@code timeoutMillis} for in-flight
     * requests to finish, then stops the listener and frees the models.
     */
    public void drainAndStop(long timeoutMillis) {
        draining = true;
        LOG.info("shutting down: draining {} in-flight request(s)", inFlight.count());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (inFlight.count() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (inFlight.count() > 0) {
            LOG.warn("stopping with {} request(s) still in flight after {} ms", inFlight.count(), timeoutMillis);
        }
        try {
            // Handlers have returned; give Jetty a moment to write their responses out.
            Thread.sleep(RESPONSE_FLUSH_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        app.stop();
        inFlight.close();
        store.close();
        LOG.info("dualnet server stopped");
    }

    @Override
    public void close() {
        drainAndStop(TimeUnit.SECONDS.toMillis(30));
    }
}
