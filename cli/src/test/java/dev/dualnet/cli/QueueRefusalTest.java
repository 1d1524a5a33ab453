package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import dev.dualnet.cli.testing.ServeProcess;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ServerLiveRequest;
import dev.dualnet.server.testing.GrpcClient;
import dev.dualnet.server.testing.RawHttp;
import dev.dualnet.server.testing.TestModels;
import dev.dualnet.server.testing.TestServer;
import io.grpc.Status;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full queue refuses at once, over HTTP and gRPC, from {@code dualnet serve} as a user starts
 * it: a slowed model (by computing, or by waiting for its batch) with {@code max_queue_size: 4},
 * four requests held, then a stream of requests, each refused or admitted to a slot that just freed
 * (and then held, so the queue stays full). The refusals must come within 10 ms (judged at the
 * 95th percentile; every figure is printed beside those of liveness checks made between them)
 * while the server's resident memory stays flat.
 */
class QueueRefusalTest {
    /**
     * A probe not answered by then was admitted and is held; a refusal slower than that would then
     * fail the test when the held answers are read.
     */
    private static final int ADMITTED_AFTER_MILLIS = 50;
    private static final int WARM_UP_SECONDS = 5;
    private static final int MEASURE_SECONDS = Integer.getInteger("dualnet.test.queue.seconds", 5);
    private static final String MESSAGE = "model 'slow' is busy: its queue holds 4 requests; retry later";
    @TempDir
    Path dir;

    /**
     * How the model is slowed: by its computation, about half a second of one core a request, or by
     * its batch delay, two seconds of waiting for a batch while no core is busy.
     */
    private enum Slowed {
        COMPUTING, WAITING;

        String jsonRequest() {
            return this == COMPUTING
                    ? "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,8],\"datatype\":\"FP32\",\"data\":[1,1,1,1,1,1,1,1]}]}"
                    : "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,1],\"datatype\":\"FP32\",\"data\":[1]}]}";
        }

        NamedTensor tensor() {
            int width = this == COMPUTING ? 8 : 1;
            float[] ones = new float[width];
            Arrays.fill(ones, 1);
            return new NamedTensor("x", ElementType.FP32, new long[] {1, width}, ones);
        }
    }

    /** A repository with the slowed model only, served with one intra-op thread so that a core stays free. */
    private ServeProcess serve(Slowed slowed) throws Exception {
        Path repo = Files.createDirectories(dir.resolve("models"));
        if (slowed == Slowed.COMPUTING) {
            TestModels.config(repo, "slow", """
                    name: "slow"
                    max_batch_size: 1
                    input [ { name: "x" data_type: TYPE_FP32 dims: [ 8 ] } ]
                    output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] } ]
                    dynamic_batching { default_queue_policy { max_queue_size: 4 } }
                    """);
            TestModels.slow(repo, "slow", 1);
        } else {
            TestModels.config(repo, "slow", """
                    name: "slow"
                    max_batch_size: 8
                    input [ { name: "x" data_type: TYPE_FP32 dims: [ 1 ] } ]
                    output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] } ]
                    dynamic_batching {
                      max_queue_delay_microseconds: 2000000
                      default_queue_policy { max_queue_size: 4 }
                    }
                    """);
            TestModels.tagged(repo, "slow", 1, 1);
        }
        return ServeProcess.start(repo, "--intra-op-threads", "1");
    }

    /** Times of the refusals and of the liveness checks between them, in microseconds, and the server's RSS. */
    private record Measured(long[] refusals, long[] baseline, long rssBefore, long rssAfter) {}

    /**
     * Probes the full queue for {@value #WARM_UP_SECONDS} s unmeasured, while the JIT compiles the
     * refusal path, then for up to {@value #MEASURE_SECONDS} s measured, each probe followed by a
     * liveness check as the anchor of what the machine allows; the server's RSS is read when the
     * measuring starts and when it ends.
     *
     * @param refusal sends one request and returns how long its refusal took in microseconds, or -1
     *     when the server admitted it to a slot that had just freed (it is then held, keeping the
     *     queue full)
     * @param baseline sends the protocol's liveness check and returns how long it took in microseconds
     */
    private static Measured probe(ServeProcess server, Callable<Long> refusal, Callable<Long> baseline)
            throws Exception {
        List<Long> refusals = new ArrayList<>();
        List<Long> live = new ArrayList<>();
        long warmUpEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(WARM_UP_SECONDS);
        long measureEnd = warmUpEnd + TimeUnit.SECONDS.toNanos(MEASURE_SECONDS);
        long rssBefore = -1;
        for (long now = System.nanoTime(); now < measureEnd && refusals.size() < 20_000; now = System.nanoTime()) {
            boolean measuring = now >= warmUpEnd;
            if (measuring && rssBefore < 0) {
                rssBefore = server.rssKiB();
            }
            long micros = refusal.call();
            long liveMicros = baseline.call();
            if (measuring) {
                if (micros >= 0) {
                    refusals.add(micros);
                }
                live.add(liveMicros);
            }
        }
        long rssAfter = server.rssKiB();
        return new Measured(sorted(refusals), sorted(live), rssBefore, rssAfter);
    }

    private static long[] sorted(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    @Test
    void pastItsQueueSizeAComputingModelRefusesHttpAtOnceWithoutGrowing() throws Exception {
        refusesHttp(Slowed.COMPUTING);
    }

    @Test
    void pastItsQueueSizeAWaitingModelRefusesHttpAtOnceWithoutGrowing() throws Exception {
        refusesHttp(Slowed.WAITING);
    }

    @Test
    void pastItsQueueSizeAComputingModelRefusesGrpcAtOnceWithoutGrowing() throws Exception {
        refusesGrpc(Slowed.COMPUTING);
    }

    @Test
    void pastItsQueueSizeAWaitingModelRefusesGrpcAtOnceWithoutGrowing() throws Exception {
        refusesGrpc(Slowed.WAITING);
    }

    private void refusesHttp(Slowed slowed) throws Exception {
        try (ServeProcess server = serve(slowed)) {
            String request = RawHttp.post("/v2/models/slow/infer", "application/json", slowed.jsonRequest());
            long oneMillis;
            try (RawHttp first = new RawHttp(server.httpPort(), 30_000)) {
                long started = System.nanoTime();
                assertThat(first.send(request).read().status()).isEqualTo(200);
                oneMillis = (System.nanoTime() - started) / 1_000_000;
            }
            List<RawHttp> held = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                held.add(new RawHttp(server.httpPort(), 120_000).send(request));
            }
            Thread.sleep(Math.min(100, oneMillis / 4));
            RawHttp[] connection = {new RawHttp(server.httpPort(), ADMITTED_AFTER_MILLIS)};
            String health = "GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
            Measured measured;
            try (RawHttp live = new RawHttp(server.httpPort(), 30_000)) {
                measured = probe(server, () -> {
                    long start = System.nanoTime();
                    RawHttp.Response answer;
                    try {
                        answer = connection[0].send(request).read();
                    } catch (SocketTimeoutException admitted) {
                        held.add(connection[0].readTimeout(120_000));
                        connection[0] = new RawHttp(server.httpPort(), ADMITTED_AFTER_MILLIS);
                        return -1L;
                    }
                    long micros = (System.nanoTime() - start) / 1_000;
                    if (answer.status() == 200) {
                        return -1L; // admitted to a freed slot, and its batch ran at once
                    }
                    assertThat(answer.status()).as(answer.text()).isEqualTo(503);
                    assertThat(answer.header("Retry-After")).isEqualTo("1");
                    assertThat(TestServer.mapper().readTree(answer.body()).get("error").asText()).isEqualTo(MESSAGE);
                    return micros;
                }, () -> {
                    long start = System.nanoTime();
                    assertThat(live.send(health).read().status()).isEqualTo(200);
                    return (System.nanoTime() - start) / 1_000;
                });
            }
            connection[0].close();
            for (RawHttp hold : held) {
                assertThat(hold.read().status()).isEqualTo(200);
                hold.close();
            }
            assertPromptAndFlat("HTTP", slowed, "GET /v2/health/live", oneMillis, held.size(), measured);
        }
    }

    private void refusesGrpc(Slowed slowed) throws Exception {
        ModelInferRequest request = GrpcClient.typed("slow", List.of(slowed.tensor())).build();
        try (ServeProcess server = serve(slowed); GrpcClient grpc = new GrpcClient(server.grpcPort())) {
            long started = System.nanoTime();
            assertThat(GrpcClient.floats(grpc.blocking().modelInfer(request), 0)).hasSize(1);
            long oneMillis = (System.nanoTime() - started) / 1_000_000;
            List<ListenableFuture<ModelInferResponse>> held = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                held.add(grpc.future().modelInfer(request));
            }
            Thread.sleep(Math.min(100, oneMillis / 4));
            Measured measured = probe(server, () -> {
                long start = System.nanoTime();
                ListenableFuture<ModelInferResponse> probe = grpc.future().modelInfer(request);
                try {
                    probe.get(ADMITTED_AFTER_MILLIS, TimeUnit.MILLISECONDS);
                    return -1L; // admitted to a freed slot, and its batch ran at once
                } catch (TimeoutException admitted) {
                    held.add(probe);
                    return -1L;
                } catch (ExecutionException refusal) {
                    long micros = (System.nanoTime() - start) / 1_000;
                    Status status = Status.fromThrowable(refusal.getCause());
                    assertThat(status.getCode()).as(status.getDescription()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(status.getDescription()).isEqualTo(MESSAGE);
                    return micros;
                }
            }, () -> {
                long start = System.nanoTime();
                assertThat(grpc.future().serverLive(ServerLiveRequest.getDefaultInstance())
                        .get(30, TimeUnit.SECONDS).getLive()).isTrue();
                return (System.nanoTime() - start) / 1_000;
            });
            for (ListenableFuture<ModelInferResponse> answer : held) {
                assertThat(GrpcClient.floats(answer.get(120, TimeUnit.SECONDS), 0)).hasSize(1);
            }
            assertPromptAndFlat("gRPC", slowed, "ServerLive", oneMillis, held.size(), measured);
        }
    }

    private static void assertPromptAndFlat(String protocol, Slowed slowed, String baseline, long oneMillis, int held,
            Measured measured) {
        long[] refusals = measured.refusals();
        long[] live = measured.baseline();
        assertThat(refusals.length).as("refusals while the queue was full").isGreaterThan(100);
        System.out.printf("%s model over %s: one request %d ms, %d requests held in all; %d refusals measured after"
                + " %d s warm-up: %s; %s between them: %s; server RSS %d -> %d KiB%n",
                slowed.name().toLowerCase(java.util.Locale.ROOT), protocol, oneMillis, held,
                refusals.length, WARM_UP_SECONDS, quantiles(refusals), baseline, quantiles(live),
                measured.rssBefore(), measured.rssAfter());
        // The host's other work shows in the tail, the liveness checks' as much as the refusals'.
        assertThat(refusals[(int) (refusals.length * 0.95)]).as("p95 of a refusal, us").isLessThan(10_000);
        // RSS moves by some 10 MiB either way while the JIT's code and arenas settle; a queue that grew
        // with the refusals, or a leak per refusal, would show far above that.
        assertThat(measured.rssAfter() - measured.rssBefore()).as("server RSS growth over the refusals, KiB")
                .isLessThan(32 * 1024);
    }

    private static String quantiles(long[] sorted) {
        return "median %d us, p90 %d us, p95 %d us, p99 %d us, max %d us".formatted(sorted[sorted.length / 2],
                sorted[(int) (sorted.length * 0.9)], sorted[(int) (sorted.length * 0.95)],
                sorted[(int) (sorted.length * 0.99)], sorted[sorted.length - 1]);
    }
}
