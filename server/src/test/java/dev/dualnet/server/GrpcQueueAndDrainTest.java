package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ModelStreamInferResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ServerLiveRequest;
import dev.dualnet.server.models.ModelStore;
import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.GrpcClient;
import dev.dualnet.server.testing.TestServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model's queue bounds gRPC requests as it bounds HTTP ones, refusing the excess at once; a
 * stopping server lets the gRPC calls under way finish and ends idle streams.
 */
class GrpcQueueAndDrainTest {
    @TempDir
    Path dir;

    /** The batcher holds each batch open this long, so that requests pile up in the queue. */
    private static TestServer start(Path repository, long batchDelayMicros, int maxQueueSize) throws Exception {
        DualnetServer.Settings base = TestServer.settings(repository, true, batchDelayMicros);
        ModelStore.Settings models = base.models();
        return TestServer.start(new DualnetServer.Settings(base.host(), 0, base.modelDir(),
                new ModelStore.Settings(models.runtime(), true, models.maxBatchSize(), models.batchDelayMicros(),
                        maxQueueSize), base.body(), base.threads(), base.corsOrigins(), 0));
    }

    @Test
    void requestsBeyondTheQueueAreUnavailableAtOnceAndTheRestAnswered() throws Exception {
        Digits digits = Digits.load();
        ModelInferRequest request = GrpcClient.typed("dualnet", digits.inputs(2, 1)).build();
        try (TestServer server = start(TestServer.repository(dir), 2_000_000, 4);
                GrpcClient client = new GrpcClient(server.grpcPort())) {
            long start = System.nanoTime();
            List<CompletableFuture<Long>> answeredAfter = new ArrayList<>();
            List<ListenableFuture<ModelInferResponse>> sent = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                ListenableFuture<ModelInferResponse> call = client.future().modelInfer(request);
                CompletableFuture<Long> when = new CompletableFuture<>();
                call.addListener(() -> when.complete(System.nanoTime() - start), Runnable::run);
                sent.add(call);
                answeredAfter.add(when);
            }
            int ok = 0;
            int shed = 0;
            for (int i = 0; i < sent.size(); i++) {
                try {
                    ModelInferResponse response = sent.get(i).get(30, TimeUnit.SECONDS);
                    ok++;
                    float[] digit = GrpcClient.floats(response, 0);
                    assertThat(Digits.argMax(digit)).isEqualTo(digits.expectedDigit(2));
                } catch (ExecutionException e) {
                    shed++;
                    Status status = ((StatusRuntimeException) e.getCause()).getStatus();
                    assertThat(status.getCode()).as(status.getDescription()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(status.getDescription()).isEqualTo("model 'dualnet' is busy: its queue holds 4 "
                            + "requests; retry later");
                    // Refused while the admitted ones still wait out their 2 s batch.
                    assertThat(answeredAfter.get(i).get()).isLessThan(TimeUnit.MILLISECONDS.toNanos(1_500));
                }
            }
            assertThat(ok).isEqualTo(4);
            assertThat(shed).isEqualTo(36);
            // The queue empties: the next request is taken.
            assertThat(GrpcClient.floats(client.blocking().modelInfer(request), 0)).hasSize(10);
        }
    }

    @Test
    void stoppingLetsCallsUnderWayFinishAndEndsIdleStreams() throws Exception {
        Digits digits = Digits.load();
        ModelInferRequest request = GrpcClient.typed("dualnet", digits.inputs(4, 1)).build();
        TestServer server = start(TestServer.repository(dir), 1_000_000, 256);
        try (GrpcClient client = new GrpcClient(server.grpcPort())) {
            CompletableFuture<Status> idleStreamEnd = new CompletableFuture<>();
            StreamObserver<ModelInferRequest> idle = client.async().modelStreamInfer(new StreamObserver<>() {
                @Override
                public void onNext(ModelStreamInferResponse response) {
                    idleStreamEnd.completeExceptionally(new AssertionError("a response on a stream that sent nothing"));
                }

                @Override
                public void onError(Throwable t) {
                    idleStreamEnd.complete(Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                    idleStreamEnd.complete(Status.OK);
                }
            });
            assertThat(client.blocking().serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
            ListenableFuture<ModelInferResponse> underWay = client.future().modelInfer(request);
            Thread.sleep(200); // admitted, and waiting for its batch to fill

            long start = System.nanoTime();
            server.close();
            long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            ModelInferResponse response = underWay.get(5, TimeUnit.SECONDS);
            assertThat(Digits.argMax(GrpcClient.floats(response, 0))).isEqualTo(digits.expectedDigit(4));
            Status ended = idleStreamEnd.get(5, TimeUnit.SECONDS);
            assertThat(ended.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(ended.getDescription()).isEqualTo("server is shutting down");
            idle.onCompleted();
            assertThat(stopMillis).as("the stop waits for the batch, not for the idle stream").isLessThan(4_000);
            try {
                client.blocking().serverLive(ServerLiveRequest.getDefaultInstance());
                throw new AssertionError("a call after the stop was answered");
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            }
        }
    }
}
