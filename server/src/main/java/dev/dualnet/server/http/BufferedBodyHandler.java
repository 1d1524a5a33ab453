package dev.dualnet.server.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Reads every request body in full before the routes see it, holding no thread while bytes are
 * awaited: a client that trickles its body costs a connection, not a worker. The body must arrive
 * within a deadline and, past a grace period, at a minimum average rate; a body over the size
 * limit, a broken chunked encoding or an aborted upload is answered (or dropped) here, as JSON.
 */
public final class BufferedBodyHandler extends Handler.Wrapper {
    /**
     * @param maxBodyBytes largest body accepted (413 beyond)
     * @param deadlineMillis time from the end of the headers until the whole body must be in (408 after)
     * @param minBytesPerSecond average body rate below which a request is cut off (408) once
     *     {@code graceMillis} have passed
     * @param graceMillis time a body may take before its rate is judged
     */
    public record Limits(long maxBodyBytes, long deadlineMillis, long minBytesPerSecond, long graceMillis) {}

    private final Limits limits;
    private final ClientFaults faults;

    public BufferedBodyHandler(Limits limits, ClientFaults faults) {
        this.limits = limits;
        this.faults = faults;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        long declared = request.getLength();
        boolean chunked = request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
        if (declared == 0 || (declared < 0 && !chunked)) {
            return super.handle(request, response, callback);
        }
        if (declared > limits.maxBodyBytes()) {
            String message = "request body of " + declared + " bytes is larger than the " + limits.maxBodyBytes()
                    + " bytes this server accepts";
            if (declared > discardLimit()) {
                ErrorBodies.write(response, callback, 413, message, true);
            } else {
                refuseTooLarge(request, response, callback, message);
            }
            return true;
        }
        new BodyRead(request, response, callback, declared).start();
        return true;
    }

    /** The most of a too-large body the server reads and throws away after its 413. */
    private long discardLimit() {
        return 4 * limits.maxBodyBytes();
    }

    /**
     * Answers a too-large body with 413 at once, then reads and throws away what the client goes on
     * sending, up to {@link #discardLimit()} bytes and the body deadline, before the connection
     * closes: closing on unread input makes the kernel reset the connection, which can destroy the
     * answer before the client has read it.
     */
    private void refuseTooLarge(Request request, Response response, Callback callback, String message) {
        ErrorBodies.write(response, Callback.from(() -> new Discard(request, callback).start(), callback::failed), 413,
                message, true);
    }

    /** The rest of a refused body, read and dropped without holding a thread. */
    private final class Discard implements Runnable {
        private final Request request;
        private final Callback callback;
        private final AtomicBoolean done = new AtomicBoolean();
        private long discarded;
        private Scheduler.Task deadline;

        Discard(Request request, Callback callback) {
            this.request = request;
            this.callback = callback;
        }

        void start() {
            deadline = request.getComponents().getScheduler().schedule(this::finish, limits.deadlineMillis(),
                    TimeUnit.MILLISECONDS);
            run();
        }

        @Override
        public void run() {
            while (!done.get()) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                boolean end = chunk.isLast() || Content.Chunk.isFailure(chunk);
                if (!Content.Chunk.isFailure(chunk)) {
                    discarded += chunk.getByteBuffer().remaining();
                    chunk.release();
                }
                if (end || discarded > discardLimit()) {
                    finish();
                    return;
                }
            }
        }

        private void finish() {
            if (done.compareAndSet(false, true)) {
                if (deadline != null) {
                    deadline.cancel();
                }
                callback.succeeded();
            }
        }
    }

    /** One body being read: resumed by Jetty's demand callbacks, cut off by its deadline. */
    private final class BodyRead implements Runnable {
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final ByteArrayOutputStream body;
        private final AtomicBoolean settled = new AtomicBoolean();
        private final long startNanos = System.nanoTime();
        private Scheduler.Task deadline;

        BodyRead(Request request, Response response, Callback callback, long declared) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.body = new ByteArrayOutputStream((int) Math.max(256, Math.min(declared, 1 << 20)));
        }

        void start() {
            deadline = request.getComponents().getScheduler().schedule(this::expire, limits.deadlineMillis(),
                    TimeUnit.MILLISECONDS);
            run();
        }

        /** Reads what has arrived; asks to be called again when more does. */
        @Override
        public void run() {
            while (!settled.get()) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    failed(chunk.getFailure());
                    return;
                }
                ByteBuffer bytes = chunk.getByteBuffer();
                int size = bytes.remaining();
                if (body.size() + (long) size > limits.maxBodyBytes()) {
                    chunk.release();
                    if (settled.compareAndSet(false, true)) {
                        deadline.cancel();
                        refuseTooLarge(request, response, callback, "request body larger than the "
                                + limits.maxBodyBytes() + " bytes this server accepts");
                    }
                    return;
                }
                if (bytes.hasArray()) {
                    body.write(bytes.array(), bytes.arrayOffset() + bytes.position(), size);
                } else {
                    byte[] copy = new byte[size];
                    bytes.get(copy);
                    body.write(copy, 0, size);
                }
                boolean last = chunk.isLast();
                chunk.release();
                if (last) {
                    complete();
                    return;
                }
                if (tooSlow()) {
                    refuse(408, "request body arrived at " + rate() + " bytes/s, slower than the "
                            + limits.minBytesPerSecond() + " bytes/s this server requires", "slow request body");
                    return;
                }
            }
        }

        private boolean tooSlow() {
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
            return elapsedMillis > limits.graceMillis() && rate() < limits.minBytesPerSecond();
        }

        private long rate() {
            double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
            return (long) (body.size() / seconds);
        }

        private void complete() {
            if (!settled.compareAndSet(false, true)) {
                return;
            }
            deadline.cancel();
            try {
                BufferedRequest buffered = new BufferedRequest(request, body.toByteArray());
                if (!BufferedBodyHandler.super.handle(buffered, response, callback)) {
                    ErrorBodies.write(response, callback, 404, "no such resource", false);
                }
            } catch (Throwable e) {
                callback.failed(e);
            }
        }

        private void expire() {
            refuse(408, "request body not complete within " + limits.deadlineMillis() + " ms", "request body too slow");
        }

        private void failed(Throwable failure) {
            if (failure instanceof TimeoutException) {
                refuse(408, "request body not complete within the idle timeout", "idle request body");
            } else if (failure instanceof java.io.IOException) {
                // Usually nobody is left to read this; a client that only half-closed gets its answer.
                boolean chunked = request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
                refuse(400, chunked ? "malformed or truncated chunked request body" : "request body ended after "
                        + body.size() + " bytes, before its declared length", "aborted upload");
            } else {
                HttpException http = httpFailure(failure);
                if (http != null) {
                    int code = http.getCode();
                    refuse(code >= 400 && code < 500 ? code : 400,
                            "malformed request body framing (chunked encoding or length)", "malformed body framing");
                } else {
                    refuse(400, "unreadable request body", "unreadable body: " + failure.getClass().getSimpleName());
                }
            }
        }

        private static HttpException httpFailure(Throwable failure) {
            for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
                if (cause instanceof HttpException bad) {
                    return bad;
                }
            }
            return null;
        }

        /** Answers with a client error and closes the connection, whose remaining body is unread. */
        private void refuse(int status, String message, String faultKind) {
            if (!settled.compareAndSet(false, true)) {
                return;
            }
            if (deadline != null) {
                deadline.cancel();
            }
            if (faultKind != null) {
                faults.report(faultKind, request.getMethod() + " " + request.getHttpURI().getPath() + ": " + message);
            }
            ErrorBodies.write(response, callback, status, message, true);
        }
    }

    /** The request with its body already in memory: reads never wait. */
    private static final class BufferedRequest extends Request.Wrapper {
        private Content.Chunk remaining;

        BufferedRequest(Request request, byte[] body) {
            super(request);
            this.remaining = Content.Chunk.from(ByteBuffer.wrap(body), true);
        }

        @Override
        public synchronized Content.Chunk read() {
            Content.Chunk chunk = remaining;
            remaining = Content.Chunk.EOF;
            return chunk;
        }

        @Override
        public void demand(Runnable demandCallback) {
            demandCallback.run();
        }

        @Override
        public boolean consumeAvailable() {
            read();
            return true;
        }

        @Override
        public void fail(Throwable failure) {
            // The body is complete in memory; there is no transfer left to fail.
        }
    }
}
