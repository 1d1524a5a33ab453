package dev.dualnet.server.grpc;

import dev.dualnet.server.metrics.ServerMetrics;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Counts every gRPC call in the server's metrics when it closes, by method and status code, with
 * its duration, as the HTTP routes count theirs.
 */
final class CallMetrics implements ServerInterceptor {
    private final ServerMetrics metrics;

    CallMetrics(ServerMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        long started = System.nanoTime();
        String method = call.getMethodDescriptor().getBareMethodName();
        return next.startCall(new SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                metrics.recordGrpcCall(method, status.getCode().name(), (System.nanoTime() - started) / 1e9);
                super.close(status, trailers);
            }
        }, headers);
    }
}
