package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that sends a body over the limit gets its 413, every time: the server answers at once
 * and then reads what the client still sends, instead of closing on unread input, which resets the
 * connection and can destroy the answer before the client reads it.
 */
class OversizedBodyTest {
    @TempDir
    Path dir;

    @Test
    void everyOversizedUploadIsAnsweredWith413() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try (TestServer server = TestServer.start(TestServer.repository(dir), true, 500)) {
            byte[] body = new byte[3 << 20];
            URI uri = server.uri("/v2/models/dualnet/infer");
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                answers.add(clients.submit(() -> {
                    // A new client each time: a new connection, as the server closes each after its 413.
                    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                    try {
                        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri)
                                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        return response.statusCode() + " " + response.body();
                    } catch (java.io.IOException e) {
                        return "failed: " + e;
                    }
                }));
            }
            for (Future<String> answer : answers) {
                assertThat(answer.get()).startsWith("413 ").contains("larger than the 1048576 bytes");
            }
        } finally {
            clients.shutdownNow();
        }
    }
}
