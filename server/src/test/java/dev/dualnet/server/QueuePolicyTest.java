package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.server.models.ModelStore;
import dev.dualnet.server.testing.TestModels;
import dev.dualnet.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model's queue timeout: a request that waits past default_timeout_microseconds is refused
 * instead of run. (A full queue's refusals are timed against dualnet serve by the cli's
 * QueueRefusalTest.)
 */
class QueuePolicyTest {
    @TempDir
    Path dir;

    private static final String SLOW_REQUEST = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,8],\"datatype\":\"FP32\","
            + "\"data\":[1,1,1,1,1,1,1,1]}]}";

    private static final String CONFIG = """
            name: "slow"
            max_batch_size: 1
            input [ { name: "x" data_type: TYPE_FP32 dims: [ 8 ] } ]
            output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] } ]
            dynamic_batching { default_queue_policy { timeout_action: REJECT default_timeout_microseconds: 20000 } }
            """;

    /** The model runs on one thread, so that a two-core machine keeps a core for the HTTP side. */
    private static DualnetServer.Settings oneThreadPerRun(Path repo) {
        DualnetServer.Settings base = TestServer.settings(repo, true, 100);
        ModelStore.Settings models = base.models();
        return new DualnetServer.Settings(base.host(), base.port(), base.modelDir(),
                new ModelStore.Settings(models.runtime().withIntraOpThreads(1), models.batching(), models.maxBatchSize(),
                        models.batchDelayMicros(), models.maxQueueSize()),
                base.body(), base.threads(), base.corsOrigins(), 0);
    }

    @Test
    void aRequestThatWaitsPastTheQueueTimeoutIsRefusedNotRun() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("models"));
        TestModels.config(repo, "slow", CONFIG);
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
