package dev.dualnet.server.http;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The small pool that sets inference responses once their results are in.
 *
 * <p>Inference requests do not hold an HTTP worker while their batch runs: the handler hands the
 * pending result to {@link #executor()}, which writes the response when it is ready. That costs less
 * server CPU per request than parking one worker per request until its batch is done. A few threads
 * rather than the batcher's own keep one slow client from stalling inference.
 */
public final class Responders implements AutoCloseable {
    private final ExecutorService responders;

    public Responders(int responderThreads) {
        AtomicInteger ids = new AtomicInteger();
        ThreadFactory factory = task -> {
            Thread thread = new Thread(task, "responder-" + ids.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        responders = Executors.newFixedThreadPool(responderThreads, factory);
    }

    /** Where asynchronous responses are written. */
    public ExecutorService executor() {
        return responders;
    }

    @Override
    public void close() {
        responders.shutdown();
        try {
            responders.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
