package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferResponse;
import dev.dualnet.server.grpc.proto.GrpcService.RepositoryModelLoadRequest;
import dev.dualnet.server.models.ModelControl;
import dev.dualnet.server.models.ModelStore;
import dev.dualnet.server.testing.GrpcClient;
import dev.dualnet.server.testing.TestModels;
import dev.dualnet.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloads under load: while 64 connections (half HTTP, half gRPC channels) send requests without
 * pause, a new version is loaded (and the one it replaces unloaded) three times over REST and three
 * times over gRPC. No request may fail, and every answer must come from the version it says served
 * it: each version answers y = x + its own number.
 */
class ZeroDowntimeReloadTest {
    private static final int CONNECTIONS = 64;
    private static final long SECONDS = Long.getLong("dualnet.test.reload.seconds", 30);
    /** Odd ones over REST, even ones over gRPC. */
    private static final int RELOADS = 6;
    private static final long FAILED = -1;

    @TempDir
    Path dir;

    @Test
    void reloadsOverRestAndGrpcUnderSixtyFourConnectionsDropNoRequest() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("models"));
        TestModels.config(repo, "tagged", """
                name: "tagged"
                max_batch_size: 8
                input [ { name: "x" data_type: TYPE_FP32 dims: [ 1 ] } ]
                output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] } ]
                """);
        TestModels.tagged(repo, "tagged", 1, 1);
        ModelStore.Control control = new ModelStore.Control(ModelControl.EXPLICIT, Set.of(), 0);
        try (TestServer server = TestServer.start(repo, true, 200, control)) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            URI infer = server.uri("/v2/models/tagged/infer");
            Map<Long, LongAdder> answers = new ConcurrentHashMap<>();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicLong stopAt = new AtomicLong(System.nanoTime() + SECONDS * 1_000_000_000L);
            List<Thread> senders = new ArrayList<>();
            List<GrpcClient> channels = new ArrayList<>();
            for (int c = 0; c < CONNECTIONS; c++) {
                Runnable send;
                if (c % 2 == 0) {
                    send = () -> answers.computeIfAbsent(restInfer(client, infer, failures), v -> new LongAdder())
                            .increment();
                } else {
                    GrpcClient channel = new GrpcClient(server.grpcPort());
                    channels.add(channel);
                    send = () -> answers.computeIfAbsent(grpcInfer(channel, failures), v -> new LongAdder())
                            .increment();
                }
                senders.add(new Thread(() -> {
                    while (System.nanoTime() < stopAt.get()) {
                        send.run();
                    }
                }, "sender-" + c));
            }
            senders.forEach(Thread::start);
            long start = System.nanoTime();
            try (GrpcClient operator = new GrpcClient(server.grpcPort())) {
                for (int reload = 1; reload <= RELOADS; reload++) {
                    long due = start + reload * SECONDS * 1_000_000_000L / (RELOADS + 1);
                    Thread.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000));
                    TestModels.tagged(repo, "tagged", reload + 1, reload + 1);
                    if (reload % 2 == 1) {
                        HttpResponse<String> load = server.post("/v2/repository/models/tagged/load", "");
                        assertThat(load.statusCode()).as(load.body()).isEqualTo(200);
                    } else {
                        operator.blocking().repositoryModelLoad(
                                RepositoryModelLoadRequest.newBuilder().setModelName("tagged").build());
                    }
                }
            }
            for (Thread sender : senders) {
                sender.join(SECONDS * 1_000 + 60_000);
            }
            channels.forEach(GrpcClient::close);
            long total = answers.values().stream().mapToLong(LongAdder::sum).sum();
            System.out.printf("reload under load: %d answers in %d s over %d connections, by version %s; %d failures%n",
                    total, SECONDS, CONNECTIONS, answers, failures.size());
            assertThat(failures).as("failed or mismatched requests").isEmpty();
            answers.remove(FAILED);
            assertThat(answers.keySet()).containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L, 6L, 7L);
            JsonNode index = TestServer.json(server.post("/v2/repository/index", ""));
            assertThat(index.toString()).contains("\"version\":\"7\"").doesNotContain("\"version\":\"6\"");
        }
    }

    /** One request over HTTP; returns the version that answered, or {@link #FAILED} after recording why. */
    private static long restInfer(HttpClient client, URI infer, Queue<String> failures) {
        int x = ThreadLocalRandom.current().nextInt(1000);
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(infer)
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\":[{\"name\":\"x\",\"shape\":"
                            + "[1,1],\"datatype\":\"FP32\",\"data\":[" + x + "]}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                failures.add("HTTP " + response.statusCode() + " " + response.body());
                return FAILED;
            }
            JsonNode body = TestServer.json(response);
            long version = Long.parseLong(body.get("model_version").asText());
            double y = body.get("outputs").get(0).get("data").get(0).asDouble();
            return checked("HTTP", version, x, y, failures);
        } catch (Exception e) {
            failures.add("HTTP " + e);
            return FAILED;
        }
    }

    /** One request over gRPC; returns the version that answered, or {@link #FAILED} after recording why. */
    private static long grpcInfer(GrpcClient channel, Queue<String> failures) {
        int x = ThreadLocalRandom.current().nextInt(1000);
        try {
            ModelInferResponse response = channel.blocking().modelInfer(GrpcClient.typed("tagged",
                    List.of(new NamedTensor("x", ElementType.FP32, new long[] {1, 1}, new float[] {x}))).build());
            long version = Long.parseLong(response.getModelVersion());
            return checked("gRPC", version, x, GrpcClient.floats(response, 0)[0], failures);
        } catch (Exception e) {
            failures.add("gRPC " + e);
            return FAILED;
        }
    }

    private static long checked(String protocol, long version, int x, double y, Queue<String> failures) {
        if (y - x != version) {
            failures.add(protocol + ": version " + version + " answered " + y + " for " + x);
            return FAILED;
        }
        return version;
    }
}
