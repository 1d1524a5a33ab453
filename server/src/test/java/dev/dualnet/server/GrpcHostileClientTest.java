package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelStreamInferResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ServerLiveRequest;
import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.GrpcClient;
import dev.dualnet.server.testing.LogCapture;
import dev.dualnet.server.testing.TestServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that send garbage, too much, or nothing at all: each is dealt with on its own
 * connection or call, and everyone else keeps getting answers.
 */
class GrpcHostileClientTest {
    /** The HTTP/2 connection preface every gRPC client starts with. */
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    static Path dir;

    static TestServer server;
    static GrpcClient client;
    static Digits digits;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(TestServer.repository(dir), true, 500);
        client = new GrpcClient(server.grpcPort());
        digits = Digits.load();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    @Test
    void garbageBytesCloseTheirOwnConnectionOnlyAndLogAFewLinesWithoutStackTraces() throws Exception {
        Random random = new Random(42);
        List<byte[]> garbage = new ArrayList<>();
        byte[] noise = new byte[64 << 10];
        random.nextBytes(noise);
        garbage.add(noise);
        garbage.add("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] afterPreface = new byte[PREFACE.length + 4096];
        System.arraycopy(PREFACE, 0, afterPreface, 0, PREFACE.length);
        byte[] frames = new byte[4096];
        random.nextBytes(frames);
        System.arraycopy(frames, 0, afterPreface, PREFACE.length, frames.length);
        garbage.add(afterPreface);
        List<LogRecord> console = java.util.Collections.synchronizedList(new ArrayList<>());
        Handler consoleWatch = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLoggerName() != null && record.getLoggerName().startsWith("io.grpc")) {
                    console.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger.getLogger("").addHandler(consoleWatch);
        try (LogCapture log = new LogCapture()) {
            for (int round = 0; round < 10; round++) {
                for (byte[] bytes : garbage) {
                    try (Socket socket = connect()) {
                        OutputStream out = socket.getOutputStream();
                        try {
                            out.write(bytes);
                            out.flush();
                        } catch (IOException e) {
                            // The server may close before it has read everything: that is the point.
                        }
                        assertThat(closedByServer(socket)).as("the server closes a connection that speaks no gRPC")
                                .isTrue();
                    }
                    assertAnswering();
                }
            }
            assertThat(console).as("grpc-java's own lines on the console").isEmpty();
            assertThat(log.events()).allMatch(e -> e.getThrowableProxy() == null, "no stack traces");
            assertThat(log.warnings()).as("30 connections of garbage").hasSizeBetween(1, 3)
                    .allMatch(w -> w.startsWith("client fault: gRPC Transport failed: "));
        } finally {
            java.util.logging.Logger.getLogger("").removeHandler(consoleWatch);
        }
    }

    @Test
    void anOversizedMessageIsRefusedAndTheClientCanGoOn() throws Exception {
        ModelInferRequest valid = GrpcClient.raw("seed", digits.inputs(0, 1)).build();
        // Larger than the 1 MiB request body limit the test server has.
        ModelInferRequest oversized = valid.toBuilder()
                .setRawInputContents(0, ByteString.copyFrom(new byte[(1 << 20) + 1])).build();
        assertThatThrownBy(() -> client.blocking().modelInfer(oversized))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
        assertThat(GrpcClient.floats(client.blocking().modelInfer(valid), 0)).hasSize(10);
    }

    @Test
    void silentClientsHoldNobodyUp() throws Exception {
        try (Socket prefaceOnly = connect(); GrpcClient silent = new GrpcClient(server.grpcPort())) {
            prefaceOnly.getOutputStream().write(PREFACE);
            prefaceOnly.getOutputStream().flush();
            // A stream opened and never written to, and one that sends but never reads its answers.
            StreamObserver<ModelInferRequest> quiet = silent.async().modelStreamInfer(ignoring());
            AtomicInteger unreadAnswers = new AtomicInteger();
            List<ClientCallStreamObserver<ModelInferRequest>> unread = new ArrayList<>();
            silent.async().modelStreamInfer(new ClientResponseObserver<ModelInferRequest, ModelStreamInferResponse>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<ModelInferRequest> requests) {
                    requests.disableAutoRequestWithInitial(0);
                    unread.add(requests);
                }

                @Override
                public void onNext(ModelStreamInferResponse response) {
                    unreadAnswers.incrementAndGet();
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            });
            ModelInferRequest request = GrpcClient.typed("seed", digits.inputs(1, 1)).build();
            for (int i = 0; i < 200; i++) {
                unread.get(0).onNext(request);
            }

            long start = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                assertThat(GrpcClient.floats(client.blocking().modelInfer(request), 0)).hasSize(10);
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(10_000);
            assertThat(unreadAnswers).hasValue(0);
            quiet.onCompleted();
            unread.get(0).cancel("done", null);
        }
        assertAnswering();
    }

    private static StreamObserver<ModelStreamInferResponse> ignoring() {
        return new StreamObserver<>() {
            @Override
            public void onNext(ModelStreamInferResponse response) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        };
    }

    private static Socket connect() throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.grpcPort());
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** Reads until the server closes the connection; false when it is still open after the socket's timeout. */
    private static boolean closedByServer(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[8192];
        try {
            while (true) {
                if (in.read(buffer) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the server
        }
    }

    private static void assertAnswering() {
        assertThat(client.blocking().serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
        assertThat(GrpcClient.floats(client.blocking().modelInfer(GrpcClient.typed("seed", digits.inputs(0, 1))
                .build()), 0)).hasSize(10);
    }
}
