package dev.dualnet.server.grpc;

import dev.dualnet.server.http.ClientFaults;
import dev.dualnet.server.metrics.ServerMetrics;
import dev.dualnet.server.models.ModelStore;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC listener: {@link GrpcInferenceService} on one address, over HTTP/2 (grpc-java's
 * shaded Netty). Calls are handled on the transport's own threads: no handler waits there, since
 * inference completes on the batcher and answers are built, and models loaded or unloaded, on a
 * fixed pool of threads. A refusal (a full queue, a bad request) is thereby answered without a
 * hand-off between threads.
 */
public final class GrpcEndpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcEndpoint.class);
    private static final int THREADS = Math.max(4, Runtime.getRuntime().availableProcessors());
    /** A connection that has not finished its HTTP/2 handshake by then is closed. */
    private static final long HANDSHAKE_TIMEOUT_SECONDS = 10;

    private final Server server;
    private final GrpcInferenceService service;
    private final ExecutorService executor;
    private final TransportLog transportLog;

    private GrpcEndpoint(Server server, GrpcInferenceService service, ExecutorService executor,
            TransportLog transportLog) {
        this.server = server;
        this.service = service;
        this.executor = executor;
        this.transportLog = transportLog;
    }

    /**
     * Starts listening.
     *
     * @param port 0 for any free port
     * @param metrics where every call is counted when it closes
     * @param maxMessageBytes the largest request message taken; larger ones fail with
     *     RESOURCE_EXHAUSTED before they are read whole
     * @throws IOException when the address cannot be bound, saying why
     */
    public static GrpcEndpoint start(String host, int port, ModelStore store, ServerMetrics metrics,
            String serverVersion, int maxMessageBytes) throws IOException {
        AtomicInteger ids = new AtomicInteger();
        ThreadFactory factory = task -> {
            Thread thread = new Thread(task, "grpc-" + ids.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        ExecutorService executor = Executors.newFixedThreadPool(THREADS, factory);
        GrpcInferenceService service = new GrpcInferenceService(store, serverVersion, executor);
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
                .directExecutor()
                .addService(ServerInterceptors.intercept(service, new CallMetrics(metrics)))
                .maxInboundMessageSize(maxMessageBytes)
                .handshakeTimeout(HANDSHAKE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .build();
        TransportLog transportLog = new TransportLog(new ClientFaults());
        transportLog.install();
        try {
            server.start();
        } catch (IOException e) {
            transportLog.uninstall();
            executor.shutdownNow();
            throw new IOException("cannot listen for gRPC on " + host + ":" + port + ": " + rootMessage(e), e);
        }
        LOG.info("gRPC (Open Inference Protocol) listening on {}:{}", host, server.getPort());
        return new GrpcEndpoint(server, service, executor, transportLog);
    }

    /** grpc-java words a bind failure as "Failed to bind"; the socket's own message says why. */
    private static String rootMessage(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() != null ? cause.getMessage() : e.getMessage();
    }

    /** The port listened on, the one chosen when 0 was asked for. */
    public int port() {
        return server.getPort();
    }

    /**
     * Stops taking calls: the listener closes, new calls are refused with UNAVAILABLE, and calls
     * under way go on; open streams end once they have answered what they read.
     */
    public void drain() {
        service.drain();
        server.shutdown();
    }

    /**
     * Waits for the calls under way after {@link #drain} to finish.
     *
     * @return whether they all did in time
     */
    public boolean awaitDrained(long timeoutMillis) {
        try {
            return server.awaitTermination(Math.max(timeoutMillis, 0), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Drains for up to 5 s, then cuts what is left. */
    @Override
    public void close() {
        drain();
        if (!awaitDrained(5_000)) {
            LOG.warn("stopping gRPC with calls still under way");
        }
        server.shutdownNow();
        awaitDrained(1_000);
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        transportLog.uninstall();
    }
}
