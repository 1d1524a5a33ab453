package dev.dualnet.server.grpc;

import dev.dualnet.server.grpc.proto.GrpcService.ModelInferRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelStreamInferResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One ModelStreamInfer call. Requests run as they arrive, so that they batch with each other and
 * with other clients' requests, but their responses go out in the order the requests came. The
 * stream reads at most {@link #WINDOW} requests ahead of the responses the client has taken,
 * so a client that sends without reading holds a bounded amount of the server's memory.
 */
final class InferStream implements StreamObserver<ModelInferRequest> {
    /** Requests read from the client and not yet answered, at most. */
    static final int WINDOW = 32;

    private final ServerCallStreamObserver<ModelStreamInferResponse> out;
    private final Function<ModelInferRequest, CompletableFuture<ModelStreamInferResponse>> infer;
    private final Runnable onEnd;
    /** Completes once every response so far is sent; guarded by this. */
    private CompletableFuture<Void> sent = CompletableFuture.completedFuture(null);
    /** Requests to ask the client for once the transport can take more responses; guarded by this. */
    private int owed;
    /** No more requests are taken: the client said it was done, or the server drains; guarded by this. */
    private boolean closing;
    private boolean ended;

    /**
     * Must be built in the RPC method, before it returns: it turns off gRPC's automatic reading.
     *
     * @param infer runs one request; its future completes with the response or the error message,
     *     never exceptionally
     * @param onEnd told once when the stream ends, however it ends
     */
    InferStream(ServerCallStreamObserver<ModelStreamInferResponse> out,
            Function<ModelInferRequest, CompletableFuture<ModelStreamInferResponse>> infer, Runnable onEnd) {
        this.out = out;
        this.infer = infer;
        this.onEnd = onEnd;
        out.disableAutoRequest();
        out.setOnReadyHandler(this::transportReady);
        out.setOnCancelHandler(this::cancelled);
        out.request(WINDOW);
    }

    @Override
    public void onNext(ModelInferRequest request) {
        synchronized (this) {
            if (closing || ended) {
                return;
            }
        }
        CompletableFuture<ModelStreamInferResponse> answer = infer.apply(request);
        synchronized (this) {
            if (ended) {
                return;
            }
            sent = sent.thenCombine(answer, (previous, response) -> response).thenAccept(this::send);
        }
    }

    @Override
    public void onError(Throwable t) {
        cancelled();
    }

    /** The client sent its last request: answer the rest, then end the stream. */
    @Override
    public void onCompleted() {
        afterPending(Status.OK);
    }

    /** The server stops: answer what was read, then end the stream as unavailable, asking no more. */
    void drain() {
        afterPending(Status.UNAVAILABLE.withDescription("server is shutting down"));
    }

    private void afterPending(Status status) {
        CompletableFuture<Void> pending;
        synchronized (this) {
            closing = true;
            pending = sent;
        }
        pending.thenRun(() -> end(status));
    }

    private synchronized void send(ModelStreamInferResponse response) {
        if (ended) {
            return;
        }
        try {
            out.onNext(response);
            if (out.isReady()) {
                out.request(1);
            } else {
                owed++;
            }
        } catch (RuntimeException e) {
            // The call is gone (cancelled under us): nothing more can be sent on it.
            endQuietly();
        }
    }

    private synchronized void transportReady() {
        while (owed > 0 && !ended && out.isReady()) {
            owed--;
            out.request(1);
        }
    }

    private synchronized void end(Status status) {
        if (ended) {
            return;
        }
        ended = true;
        try {
            if (status.isOk()) {
                out.onCompleted();
            } else {
                out.onError(status.asRuntimeException());
            }
        } catch (RuntimeException e) {
            // Already cancelled by the client: there is no one to tell.
        }
        onEnd.run();
    }

    private synchronized void cancelled() {
        endQuietly();
    }

    private void endQuietly() {
        if (!ended) {
            ended = true;
            onEnd.run();
        }
    }
}
