package dev.dualnet.benchmarks.server;

import dev.dualnet.server.grpc.proto.GRPCInferenceServiceGrpc;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Closed-loop gRPC load on a dualnet server's Open Inference Protocol endpoint at 127.0.0.1:PORT:
 * CHANNELS channels, each its own HTTP/2 connection with one ModelInfer call in flight, the next
 * sent as soon as the previous one is answered: the Java side of bench/grpc-vs-rest.sh
 * ({@code CLIENT=java}). The request is InferBodies' body.grpc: the same tensors as the JSON body
 * that wrk sends to REST, as raw_input_contents, the way Triton's gRPC clients send them.
 *
 * <pre>java -cp benchmarks/target/dualnet-benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/* \
 *      dev.dualnet.benchmarks.server.GrpcLoad PORT BODY_GRPC CHANNELS SECONDS [WARMUP_SECONDS]</pre>
 *
 * WARMUP_SECONDS (default 5) of the same load come first and are not counted. Prints one line:
 * {@code grpc channels=C requests/s=X p50=T p90=T p99=T max=T ok=N errors=N [CODE=N ...]}, times in
 * milliseconds.
 */
public final class GrpcLoad {
    static final String USAGE = "usage: dev.dualnet.benchmarks.server.GrpcLoad PORT BODY_GRPC CHANNELS SECONDS [WARMUP_SECONDS]";
    static final LoadArguments.Program PROGRAM = new LoadArguments.Program("GrpcLoad", USAGE, "CHANNELS", 1);
    private static final long DEADLINE_SECONDS = 10;

    private GrpcLoad() {}

    public static void main(String[] args) throws Exception {
        LoadArguments arguments = LoadArguments.parse(PROGRAM, args);
        ModelInferRequest request = request(arguments.bodyFile());
        long measureStart = System.nanoTime() + TimeUnit.SECONDS.toNanos(arguments.warmupSeconds());
        long measureEnd = measureStart + TimeUnit.SECONDS.toNanos(arguments.seconds());
        List<ManagedChannel> channels = new ArrayList<>();
        List<Caller> callers = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(arguments.connections());
        for (int c = 0; c < arguments.connections(); c++) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", arguments.port()).usePlaintext()
                    .directExecutor().build();
            channels.add(channel);
            callers.add(new Caller(GRPCInferenceServiceGrpc.newStub(channel), request, measureStart, measureEnd, done));
        }
        callers.forEach(Caller::send);
        if (!done.await(TimeUnit.NANOSECONDS.toSeconds(measureEnd - System.nanoTime()) + 2 * DEADLINE_SECONDS,
                TimeUnit.SECONDS)) {
            System.err.println("GrpcLoad: some calls were still unanswered " + DEADLINE_SECONDS + " s after the end");
        }
        channels.forEach(ManagedChannel::shutdownNow);

        LatencySamples ok = new LatencySamples();
        Map<String, Long> errors = new TreeMap<>();
        for (Caller caller : callers) {
            ok.addAll(caller.latencies);
            caller.errors.forEach((code, count) -> errors.merge(code, count, Long::sum));
        }
        long errorCount = errors.values().stream().mapToLong(Long::longValue).sum();
        StringBuilder byCode = new StringBuilder();
        errors.forEach((code, count) -> byCode.append(' ').append(code).append('=').append(count));
        System.out.printf(Locale.ROOT, "grpc channels=%d requests/s=%.1f p50=%s p90=%s p99=%s max=%s ok=%d errors=%d%s%n",
                arguments.connections(), ok.count() / (double) arguments.seconds(), ok.ms(50), ok.ms(90), ok.ms(99),
                ok.ms(100), ok.count(), errorCount, byCode);
    }

    /** The request of a file framed as on the wire (InferBodies' body.grpc). */
    static ModelInferRequest request(Path framed) throws IOException {
        byte[] bytes = Files.readAllBytes(framed);
        if (bytes.length < 5 || bytes[0] != 0
                || ByteBuffer.wrap(bytes, 1, 4).order(ByteOrder.BIG_ENDIAN).getInt() != bytes.length - 5) {
            PROGRAM.usage(framed + " is not one uncompressed gRPC message (a flag byte, a 4-byte length, the message)");
        }
        return ModelInferRequest.parseFrom(ByteBuffer.wrap(bytes, 5, bytes.length - 5));
    }

    /** One channel's closed loop; its callbacks run one at a time, on the channel's transport thread. */
    private static final class Caller implements StreamObserver<ModelInferResponse> {
        private final GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub;
        private final ModelInferRequest request;
        private final long measureStart;
        private final long measureEnd;
        private final CountDownLatch done;
        final LatencySamples latencies = new LatencySamples();
        final Map<String, Long> errors = new TreeMap<>();
        private long sent;

        Caller(GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub, ModelInferRequest request, long measureStart,
                long measureEnd, CountDownLatch done) {
            this.stub = stub;
            this.request = request;
            this.measureStart = measureStart;
            this.measureEnd = measureEnd;
            this.done = done;
        }

        void send() {
            sent = System.nanoTime();
            stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).modelInfer(request, this);
        }

        @Override
        public void onNext(ModelInferResponse response) {
            long now = System.nanoTime();
            if (sent >= measureStart && now <= measureEnd) {
                latencies.add(now - sent);
            }
        }

        @Override
        public void onError(Throwable failure) {
            if (sent >= measureStart && System.nanoTime() <= measureEnd) {
                errors.merge(Status.fromThrowable(failure).getCode().name(), 1L, Long::sum);
            }
            next();
        }

        @Override
        public void onCompleted() {
            next();
        }

        private void next() {
            if (System.nanoTime() < measureEnd) {
                send();
            } else {
                done.countDown();
            }
        }
    }
}
