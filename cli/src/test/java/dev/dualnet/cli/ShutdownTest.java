package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.cli.testing.ServeProcess;
import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.RawHttp;
import dev.dualnet.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM lets in-flight requests finish, answers every request it accepted (503 and
 * {@code Connection: close} once it drains), refuses new connections, then exits 0.
 */
class ShutdownTest {
    private static final int CLIENTS = 16;

    @TempDir
    Path dir;

    @Test
    void sigtermUnderLoadAnswersEveryRequestItAccepted() throws Exception {
        Path repo = TestServer.repository(dir);
        ServeProcess serve = ServeProcess.start(repo, "--batch-delay-us", "500");
        Process server = serve.process();
        int port = serve.httpPort();
        try {
            Digits digits = Digits.load();
            String request = RawHttp.post("/predict", "application/json", "{\"image\":"
                    + TestServer.mapper().writeValueAsString(digits.image(0)) + ",\"number\":2}");
            AtomicInteger answered = new AtomicInteger();
            AtomicInteger refusedAfterDrain = new AtomicInteger();
            List<String> unanswered = java.util.Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger neverAccepted = new AtomicInteger();
            AtomicBoolean signalled = new AtomicBoolean();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                Thread client = new Thread(() -> {
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
                    while (!stop.get() && System.nanoTime() < until) {
                        RawHttp http;
                        try {
                            http = new RawHttp(port, 10_000);
                        } catch (java.io.IOException refused) {
                            return; // the listener is closed: nothing was sent, nothing is owed
                        }
                        int answeredHere = 0;
                        try (http) {
                            while (System.nanoTime() < until) {
                                http.send(request);
                                RawHttp.Response response = http.read();
                                if (response == null) {
                                    throw new java.io.EOFException("connection closed without an answer");
                                }
                                answeredHere++;
                                answered.incrementAndGet();
                                if (response.status() == 503) {
                                    refusedAfterDrain.incrementAndGet();
                                } else if (response.status() != 200) {
                                    unanswered.add("status " + response.status() + ": " + response.text());
                                }
                                if ("close".equalsIgnoreCase(response.header("Connection"))) {
                                    break;
                                }
                            }
                        } catch (java.io.IOException e) {
                            if (answeredHere == 0 && signalled.get()) {
                                // Connected into the kernel's backlog as the listener closed: never accepted.
                                neverAccepted.incrementAndGet();
                            } else {
                                unanswered.add(e + " after " + answeredHere + " answers on the connection");
                            }
                            return;
                        }
                    }
                }, "client-" + c);
                client.start();
                clients.add(client);
            }
            Thread.sleep(1500);
            int beforeSignal = answered.get();
            signalled.set(true);
            server.destroy(); // SIGTERM
            assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
            stop.set(true);
            for (Thread client : clients) {
                client.join(15_000);
            }
            assertThat(beforeSignal).as("requests answered before SIGTERM").isGreaterThan(CLIENTS);
            assertThat(unanswered).as("requests sent on accepted connections but never answered ("
                    + answered.get() + " answered, " + refusedAfterDrain.get() + " of them 503 while draining, "
                    + neverAccepted.get() + " connections never accepted)").isEmpty();
            assertThat(server.exitValue()).isZero();
        } finally {
            server.destroyForcibly();
        }
    }

    @Test
    void sigtermDrainsInFlightRequestsAndExitsZero() throws Exception {
        Path repo = TestServer.repository(dir);
        // A 1.5 s batching delay keeps a lone request in flight long enough to signal during it.
        ServeProcess serve = ServeProcess.start(repo, "--batch-delay-us", "1500000");
        Process server = serve.process();
        int port = serve.httpPort();
        try {
            Digits digits = Digits.load();
            String body = "{\"image\":" + TestServer.mapper().writeValueAsString(digits.image(0)) + ",\"number\":2}";
            CompletableFuture<HttpResponse<String>> inFlight = HttpClient.newHttpClient().sendAsync(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/predict"))
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Thread.sleep(500);
            server.destroy(); // SIGTERM
            HttpResponse<String> response = inFlight.get(20, TimeUnit.SECONDS);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(TestServer.json(response).get("digit").asInt()).isEqualTo(digits.expectedDigit(0));
            assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(server.exitValue()).isZero();
        } finally {
            server.destroyForcibly();
        }
    }
}
