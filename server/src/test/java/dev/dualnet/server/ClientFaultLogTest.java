package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.dualnet.server.http.ClientFaults;
import dev.dualnet.server.testing.LogCapture;
import dev.dualnet.server.testing.RawHttp;
import dev.dualnet.server.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Faults clients cause are logged as single lines, rate-limited, without stack traces. */
class ClientFaultLogTest {
    @TempDir
    Path dir;

    @Test
    void abortedUploadsAndBrokenFramingLogAFewLinesAndNoStackTraces() throws Exception {
        try (LogCapture log = new LogCapture(); TestServer server = TestServer.start(TestServer.repository(dir), true, 200)) {
            int before = log.events().size();
            for (int i = 0; i < 50; i++) {
                try (RawHttp http = new RawHttp(server.server().port(), 5_000)) {
                    http.send("POST /v2/models/dualnet/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 100000\r\n\r\n{\"inputs\":[").shutdownOutput();
                    http.read();
                }
                try (RawHttp http = new RawHttp(server.server().port(), 5_000)) {
                    http.send("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\nzz\r\n").read();
                }
                // Jetty's parser words these at WARN for every request unless told otherwise.
                for (String header : new String[] {"Host: a\r\nHost: b", "Host: a b", "Host: a:99999999", "Host: [::1"}) {
                    try (RawHttp http = new RawHttp(server.server().port(), 5_000)) {
                        assertThat(http.send("GET /v2 HTTP/1.1\r\n" + header + "\r\n\r\n").read().status()).isEqualTo(400);
                    }
                }
            }
            assertThat(server.get("/v2/health/ready").statusCode()).isEqualTo(200);
            List<ILoggingEvent> events = log.events().subList(before, log.events().size());
            assertThat(events).allMatch(e -> e.getThrowableProxy() == null, "no stack traces");
            List<String> warnings = events.stream().filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN))
                    .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
            assertThat(warnings).as("300 faulty requests").hasSizeLessThanOrEqualTo(3)
                    .allMatch(w -> w.startsWith(ClientFaults.class.getName() + ": client fault: "));
            assertThat(warnings.stream().mapToInt(String::length).sum()).isLessThan(500);
        }
    }

    @Test
    void theLimitIsOneLinePerKindAndIntervalCountingTheRest() {
        AtomicLong now = new AtomicLong();
        ClientFaults faults = new ClientFaults(10, TimeUnit.SECONDS, now::get);
        try (LogCapture log = new LogCapture()) {
            assertThat(faults.report("aborted upload", "first")).isTrue();
            for (int i = 0; i < 5; i++) {
                assertThat(faults.report("aborted upload", "again")).isFalse();
            }
            assertThat(faults.report("slow request body", "other kind")).isTrue();
            now.addAndGet(TimeUnit.SECONDS.toNanos(11));
            assertThat(faults.report("aborted upload", "later")).isTrue();
            assertThat(log.warnings()).containsExactly("client fault: aborted upload: first",
                    "client fault: slow request body: other kind",
                    "client fault: aborted upload: later (5 more since the last such line)");
        }
    }
}
