package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.TestServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM lets an in-flight request finish, then the server exits 0. */
class ShutdownTest {
    @TempDir
    Path dir;

    @Test
    void sigtermDrainsInFlightRequestsAndExitsZero() throws Exception {
        Path repo = TestServer.repository(dir);
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        // A 1.5 s batching delay keeps a lone request in flight long enough to signal during it.
        Process server = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                "dev.dualnet.server.ServerCli", "serve", "--port", Integer.toString(port),
                "--model-dir", repo.toString(), "--batch-delay-us", "1500000"))
                .redirectErrorStream(true).start();
        try {
            BufferedReader output = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder log = new StringBuilder();
            for (String line; (line = output.readLine()) != null; ) {
                log.append(line).append('\n');
                if (line.contains("listening on http://")) {
                    break;
                }
            }
            assertThat(log.toString()).contains("listening on");
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
