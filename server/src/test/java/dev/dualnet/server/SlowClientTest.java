package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.server.http.BufferedBodyHandler;
import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.RawHttp;
import dev.dualnet.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that trickle their bodies hold no worker: with more of them than the server has
 * threads, health checks and inference still answer at once, and each trickler is cut off with
 * 408 once it is too slow or too late.
 */
class SlowClientTest {
    /** More than the test server's 32 worker threads. */
    private static final int SLOW_CONNECTIONS = 100;

    @TempDir
    Path dir;

    private static String slowHead(int length) {
        return "POST /v2/models/dualnet/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + length + "\r\n\r\n";
    }

    @Test
    void tricklingBodiesStarveNothingAndAreCutOffWhenTooSlow() throws Exception {
        Digits digits = Digits.load();
        String valid = "{\"image\":" + TestServer.mapper().writeValueAsString(digits.image(0)) + ",\"number\":1}";
        try (TestServer server = TestServer.start(TestServer.repository(dir), true, 200)) {
            List<RawHttp> slow = new ArrayList<>();
            try {
                for (int i = 0; i < SLOW_CONNECTIONS; i++) {
                    slow.add(new RawHttp(server.server().port(), 5_000).send(slowHead(5000) + "{"));
                }
                Thread.sleep(200); // every trickler's headers are in and its body is being awaited
                for (int i = 0; i < 10; i++) {
                    long start = System.nanoTime();
                    assertThat(server.get("/v2/health/ready").statusCode()).isEqualTo(200);
                    HttpResponse<String> predicted = server.post("/predict", valid);
                    assertThat(predicted.statusCode()).isEqualTo(200);
                    assertThat(TestServer.json(predicted).get("digit").asInt()).isEqualTo(digits.expectedDigit(0));
                    assertThat(server.get("/metrics").statusCode()).isEqualTo(200);
                    assertThat((System.nanoTime() - start) / 1e6).as("ms for health, predict and metrics")
                            .isLessThan(1000);
                }
                // One byte every 300 ms is far below the 1 KB/s floor, which applies from the first second on.
                for (int round = 0; round < 6; round++) {
                    Thread.sleep(300);
                    for (RawHttp connection : slow) {
                        try {
                            connection.send("[");
                        } catch (java.io.IOException closed) {
                            // cut off already: its 408 is read below
                        }
                    }
                }
                for (RawHttp connection : slow) {
                    RawHttp.Response response = connection.read();
                    assertThat(response).isNotNull();
                    assertThat(response.status()).as(response.text()).isEqualTo(408);
                    assertThat(TestServer.mapper().readTree(response.body()).get("error").asText())
                            .contains("bytes/s, slower than");
                    assertThat(response.header("Connection")).isEqualTo("close");
                    assertThat(connection.closedByServer()).isTrue();
                }
            } finally {
                for (RawHttp connection : slow) {
                    connection.close();
                }
            }
            assertThat(server.get("/v2/health/ready").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aBodyMustBeCompleteWithinTheDeadlineHoweverSteadilyItComes() throws Exception {
        DualnetServer.Settings base = TestServer.settings(TestServer.repository(dir), true, 200);
        DualnetServer.Settings strict = new DualnetServer.Settings(base.host(), 0, base.modelDir(), base.models(),
                new BufferedBodyHandler.Limits(1 << 20, 1_500, 1, 1_000), base.threads(), base.corsOrigins());
        try (TestServer server = TestServer.start(strict); RawHttp http = new RawHttp(server.server().port(), 5_000)) {
            long start = System.nanoTime();
            http.send(slowHead(1000));
            for (int i = 0; i < 12; i++) {
                http.send("[");
                Thread.sleep(100);
            }
            RawHttp.Response response = http.read();
            double seconds = (System.nanoTime() - start) / 1e9;
            assertThat(response.status()).isEqualTo(408);
            assertThat(response.text()).contains("not complete within 1500 ms");
            assertThat(seconds).isBetween(1.4, 4.0);
            assertThat(server.get("/v2/health/live").statusCode()).isEqualTo(200);
        }
    }
}
