package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferResponse;
import dev.dualnet.server.models.ModelStore;
import dev.dualnet.server.testing.GrpcClient;
import dev.dualnet.server.testing.RawHttp;
import dev.dualnet.server.testing.TestModels;
import dev.dualnet.server.testing.TestServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model's queue policy: past max_queue_size a request is refused at once, without the server
 * growing; a request that waits past default_timeout_microseconds is refused instead of run.
 */
class QueuePolicyTest {
    @TempDir
    Path dir;

    /** Refusals before the measured ones, while the JIT compiles the path. */
    private static final int WARM_UP = 100;

    private static final String SLOW_REQUEST = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,8],\"datatype\":\"FP32\","
            + "\"data\":[1,1,1,1,1,1,1,1]}]}";

    private static String config(String queuePolicy) {
        return """
                name: "slow"
                max_batch_size: 1
                input [ { name: "x" data_type: TYPE_FP32 dims: [ 8 ] } ]
                output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] } ]
                dynamic_batching { default_queue_policy { %s } }
                """.formatted(queuePolicy);
    }

    /** The model runs on one thread, so that a two-core machine keeps a core for the HTTP side. */
    private static DualnetServer.Settings oneThreadPerRun(Path repo) {
        DualnetServer.Settings base = TestServer.settings(repo, true, 100);
        ModelStore.Settings models = base.models();
        return new DualnetServer.Settings(base.host(), base.port(), base.modelDir(),
                new ModelStore.Settings(models.runtime().withIntraOpThreads(1), models.batching(), models.maxBatchSize(),
                        models.batchDelayMicros(), models.maxQueueSize()),
                base.body(), base.threads(), base.corsOrigins(), 0);
    }

    private static long rssKiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void pastItsQueueSizeAModelRefusesAtOnceWithoutGrowing() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("models"));
        TestModels.config(repo, "slow", config("max_queue_size: 4"));
        TestModels.slow(repo, "slow", 1);
        try (TestServer server = TestServer.start(oneThreadPerRun(repo))) {
            long started = System.nanoTime();
            assertThat(server.post("/v2/models/slow/infer", SLOW_REQUEST).statusCode()).isEqualTo(200);
            long oneMillis = (System.nanoTime() - started) / 1_000_000;
            // Four requests fill the queue for four runs of the model; each is on the wire before the refusals start.
            String request = RawHttp.post("/v2/models/slow/infer", "application/json", SLOW_REQUEST);
            List<RawHttp> held = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                held.add(new RawHttp(server.server().port(), 30_000).send(request));
            }
            Thread.sleep(Math.min(100, oneMillis / 4));
            List<Long> refusals = new ArrayList<>();
            long rssBefore = 0;
            try (RawHttp connection = new RawHttp(server.server().port(), 5_000)) {
                for (int i = 0; i < 20_000; i++) {
                    if (i == WARM_UP) {
                        System.gc();
                        rssBefore = rssKiB();
                    }
                    long start = System.nanoTime();
                    RawHttp.Response refused = connection.send(request).read();
                    long micros = (System.nanoTime() - start) / 1_000;
                    if (refused.status() == 200) {
                        break; // the held requests finished: the queue has room again
                    }
                    assertThat(refused.status()).isEqualTo(503);
                    if (i == 0) {
                        assertThat(refused.header("Retry-After")).isEqualTo("1");
                        assertThat(TestServer.mapper().readTree(refused.body()).get("error").asText())
                                .isEqualTo("model 'slow' is busy: its queue holds 4 requests; retry later");
                    }
                    if (i >= WARM_UP) {
                        refusals.add(micros);
                    }
                }
            }
            System.gc();
            long rssAfter = rssKiB();
            for (RawHttp connection : held) {
                assertThat(connection.read().status()).isEqualTo(200);
                connection.close();
            }
            assertPromptAndFlat("HTTP", oneMillis, refusals, rssBefore, rssAfter);
        }
    }

    @Test
    void pastItsQueueSizeAModelRefusesGrpcAtOnceWithoutGrowing() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("models"));
        TestModels.config(repo, "slow", config("max_queue_size: 4"));
        TestModels.slow(repo, "slow", 1);
        float[] ones = new float[8];
        Arrays.fill(ones, 1);
        ModelInferRequest request = GrpcClient.typed("slow",
                List.of(new NamedTensor("x", ElementType.FP32, new long[] {1, 8}, ones))).build();
        try (TestServer server = TestServer.start(oneThreadPerRun(repo));
                GrpcClient grpc = new GrpcClient(server.grpcPort())) {
            long started = System.nanoTime();
            assertThat(GrpcClient.floats(grpc.blocking().modelInfer(request), 0)).hasSize(1);
            long oneMillis = (System.nanoTime() - started) / 1_000_000;
            List<ListenableFuture<ModelInferResponse>> held = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                held.add(grpc.future().modelInfer(request));
            }
            Thread.sleep(Math.min(100, oneMillis / 4));
            // Each probe is refused at once or admitted to a slot that just freed; an admitted one joins
            // the held requests, so the queue stays full for as long as the probing goes on.
            List<Long> refusals = new ArrayList<>();
            long rssBefore = 0;
            long probeUntil = Long.MAX_VALUE;
            for (int i = 0; refusals.size() < 2_000 && System.nanoTime() < probeUntil; i++) {
                if (i == WARM_UP) {
                    System.gc();
                    rssBefore = rssKiB();
                    probeUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                }
                long start = System.nanoTime();
                ListenableFuture<ModelInferResponse> probe = grpc.future().modelInfer(request);
                try {
                    probe.get(Math.max(50, oneMillis / 4), TimeUnit.MILLISECONDS);
                    throw new AssertionError("a request was answered while the queue was full");
                } catch (TimeoutException admitted) {
                    held.add(probe);
                    continue;
                } catch (ExecutionException refusal) {
                    long micros = (System.nanoTime() - start) / 1_000;
                    Status status = Status.fromThrowable(refusal.getCause());
                    assertThat(status.getCode()).as(status.getDescription()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(status.getDescription())
                            .isEqualTo("model 'slow' is busy: its queue holds 4 requests; retry later");
                    if (i >= WARM_UP) {
                        refusals.add(micros);
                    }
                }
            }
            System.gc();
            long rssAfter = rssKiB();
            for (ListenableFuture<ModelInferResponse> answer : held) {
                assertThat(GrpcClient.floats(answer.get(60, TimeUnit.SECONDS), 0)).hasSize(1);
            }
            assertPromptAndFlat("gRPC", oneMillis, refusals, rssBefore, rssAfter);
        }
    }

    private static void assertPromptAndFlat(String protocol, long oneMillis, List<Long> refusals, long rssBefore,
            long rssAfter) {
        long[] sorted = refusals.stream().mapToLong(Long::longValue).sorted().toArray();
        assertThat(sorted.length).as("refusals while four slow requests hold the queue").isGreaterThan(20);
        System.out.printf("slow model over %s: one request %d ms; %d refusals measured after %d, median %d us, p90 %d us,"
                + " p95 %d us, p99 %d us, max %d us; RSS %d -> %d KiB%n", protocol, oneMillis, sorted.length, WARM_UP,
                sorted[sorted.length / 2], sorted[(int) (sorted.length * 0.9)], sorted[(int) (sorted.length * 0.95)],
                sorted[(int) (sorted.length * 0.99)], sorted[sorted.length - 1], rssBefore, rssAfter);
        // The host's other work shows in the tail (a GET of /v2/health/live meets the same); the bulk is the server's.
        assertThat(sorted[(int) (sorted.length * 0.95)]).as("p95 of a refusal, us").isLessThan(10_000);
        if (rssBefore > 0) {
            assertThat(rssAfter - rssBefore).as("RSS growth over the refusals, KiB").isLessThan(32 * 1024);
        }
    }

    @Test
    void aRequestThatWaitsPastTheQueueTimeoutIsRefusedNotRun() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("models"));
        TestModels.config(repo, "slow", config("timeout_action: REJECT default_timeout_microseconds: 20000"));
        TestModels.slow(repo, "slow", 1);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try (TestServer server = TestServer.start(oneThreadPerRun(repo))) {
            List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                requests.add(CompletableFuture.supplyAsync(() -> post(server, SLOW_REQUEST), pool));
            }
            int[] statuses = requests.stream().mapToInt(r -> r.join().statusCode()).toArray();
            assertThat(Arrays.stream(statuses).filter(s -> s == 200).count()).as(Arrays.toString(statuses)).isPositive();
            assertThat(Arrays.stream(statuses).filter(s -> s == 503).count()).as(Arrays.toString(statuses)).isPositive();
            HttpResponse<String> refused = requests.stream().map(CompletableFuture::join)
                    .filter(r -> r.statusCode() == 503).findFirst().orElseThrow();
            assertThat(TestServer.json(refused).get("error").asText()).isEqualTo("the request waited longer than"
                    + " model 'slow''s queue timeout of 20000 us"
                    + " (dynamic_batching.default_queue_policy.default_timeout_microseconds)");
        } finally {
            pool.shutdownNow();
        }
    }

    private static HttpResponse<String> post(TestServer server, String body) {
        try {
            return server.post("/v2/models/slow/infer", body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
