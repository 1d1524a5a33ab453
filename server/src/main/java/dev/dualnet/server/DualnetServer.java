package dev.dualnet.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.server.http.ApiException;
import dev.dualnet.server.http.Routes;
import dev.dualnet.server.metrics.ServerMetrics;
import dev.dualnet.server.models.ModelStore;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

    private final ModelStore store;
    private final ServerMetrics metrics;
    private final Javalin app;
    private final AtomicInteger inFlight = new AtomicInteger();
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

    private DualnetServer(ModelStore store, ServerMetrics metrics, Javalin app) {
        this.store = store;
        this.metrics = metrics;
        this.app = app;
    }

    /**
     * Loads the models and starts listening.
     *
     * @throws IOException if the model directory cannot be read
     */
    public static DualnetServer start(Settings settings) throws IOException {
        ServerMetrics metrics = new ServerMetrics();
        ModelStore store = ModelStore.load(settings.modelDir(), settings.models(), metrics::recordBatch);
        metrics.recordModels(store.all());
        ObjectMapper json = new ObjectMapper();
        Routes routes = new Routes(store, metrics, json, VERSION);
        DualnetServer[] self = new DualnetServer[1];
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jetty.host = settings.host();
            config.jetty.port = settings.port();
            config.jetty.threadPool = new QueuedThreadPool(settings.threads(), Math.min(8, settings.threads()));
            config.http.maxRequestSize = settings.maxBodyBytes();
            config.jsonMapper(new JavalinJackson(json, false));
            config.staticFiles.add(staticFiles -> {
                staticFiles.hostedPath = "/";
                staticFiles.directory = "/public";
                staticFiles.location = Location.CLASSPATH;
            });
            config.requestLogger.http((ctx, millis) -> metrics.recordRequest(route(ctx), ctx.method().name(),
                    ctx.statusCode(), millis / 1000.0));
            config.routes.before(ctx -> self[0].admit(ctx));
            config.routes.after(ctx -> self[0].inFlight.decrementAndGet());
            config.routes.get("/v2/health/live", routes::live);
            config.routes.get("/v2/health/ready", routes::ready);
            config.routes.get("/v2", routes::serverMetadata);
            config.routes.get("/v2/models/{name}", routes::modelMetadata);
            config.routes.get("/v2/models/{name}/versions/{version}", routes::modelMetadata);
            config.routes.get("/v2/models/{name}/ready", routes::modelReady);
            config.routes.get("/v2/models/{name}/versions/{version}/ready", routes::modelReady);
            config.routes.post("/v2/models/{name}/infer", routes::infer);
            config.routes.post("/v2/models/{name}/versions/{version}/infer", routes::infer);
            config.routes.post("/predict", routes::predict);
            config.routes.get("/models", routes::models);
            config.routes.get("/models/{name}/card", routes::modelCard);
            config.routes.get("/metrics", routes::metrics);
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
        DualnetServer server = new DualnetServer(store, metrics, app);
        self[0] = server;
        try {
            app.start();
        } catch (RuntimeException e) {
            store.close();
            throw new IOException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage(), e);
        }
        LOG.info("dualnet server {} listening on http://{}:{} with {} model(s)", VERSION, settings.host(), app.port(),
                store.all().size());
        return server;
    }

    private void admit(Context ctx) {
        inFlight.incrementAndGet();
        if (draining) {
            throw new ApiException(503, "server is shutting down");
        }
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
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (inFlight.get() > 0) {
            LOG.warn("stopping with {} request(s) still in flight after {} ms", inFlight.get(), timeoutMillis);
        }
        app.stop();
        store.close();
        LOG.info("dualnet server stopped");
    }

    @Override
    public void close() {
        drainAndStop(TimeUnit.SECONDS.toMillis(30));
    }
}
