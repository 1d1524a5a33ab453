package dev.dualnet.benchmarks.server;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Slow-client pressure on a dualnet server at 127.0.0.1:PORT, and a normal client beside it.
 *
 * <p>One thread drives SLOW_CONNECTIONS non-blocking sockets: each sends the headers of a
 * {@code POST /v2/models/seed/infer} with the Content-Length of the real body, then one byte of
 * that body a second. A connection the server closes is counted and replaced by a new one, so the
 * pressure stays at SLOW_CONNECTIONS. Meanwhile a normal client sends well-formed requests one
 * after another for SECONDS: the infer request with the whole body, {@code GET /v2/health/ready}
 * and {@code GET /metrics} in turn, each with a 2 s deadline (missing it is a failure). Before
 * that, WARMUP_SECONDS of the same normal requests without slow connections warm the server up
 * and are not counted.
 *
 * <pre>java -cp benchmarks/target/dualnet-benchmarks-0.1.0-SNAPSHOT.jar dev.dualnet.benchmarks.server.SlowClients \
 *      PORT BODY_JSON SLOW_CONNECTIONS SECONDS [WARMUP_SECONDS]</pre>
 *
 * Prints lines that start with "slow-clients", the last one the verdict against the target: every
 * normal request succeeds and infer and health p99 are under 100 ms.
 */
public final class SlowClients {
    static final String USAGE =
            "usage: dev.dualnet.benchmarks.server.SlowClients PORT BODY_JSON SLOW_CONNECTIONS SECONDS [WARMUP_SECONDS]";
    static final LoadArguments.Program PROGRAM = new LoadArguments.Program("SlowClients", USAGE, "SLOW_CONNECTIONS", 0);
    static final long REQUEST_TIMEOUT_MS = 2_000;
    static final double TARGET_P99_MS = 100;
    /** How long the slow connections may take to open before the measurement starts anyway. */
    static final long RAMP_LIMIT_MS = 60_000;

    private SlowClients() {}

    public static void main(String[] args) throws Exception {
        LoadArguments arguments = LoadArguments.parse(PROGRAM, args);
        int port = arguments.port();
        int slow = arguments.connections();
        int seconds = arguments.seconds();
        int warmup = arguments.warmupSeconds();
        byte[] body = Files.readAllBytes(arguments.bodyFile());
        if (body.length == 0) {
            PROGRAM.usage("empty body " + arguments.bodyFile());
        }

        NormalClient normal = new NormalClient(port, body);
        normal.run(System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup), false);

        SlowDriver driver = new SlowDriver(port, body, slow);
        Thread driverThread = new Thread(driver, "slow-driver");
        driverThread.setDaemon(true);
        long rampStart = System.nanoTime();
        driver.hardDeadline = rampStart + TimeUnit.MILLISECONDS.toNanos(RAMP_LIMIT_MS) + TimeUnit.SECONDS.toNanos(seconds + 10);
        driverThread.start();
        long rampLimit = rampStart + TimeUnit.MILLISECONDS.toNanos(RAMP_LIMIT_MS);
        while (driver.open < slow && System.nanoTime() < rampLimit && driverThread.isAlive()) {
            Thread.sleep(50);
        }
        double rampSeconds = (System.nanoTime() - rampStart) / 1e9;
        int openAtStart = driver.open;

        driver.sampling = true;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        normal.run(end, true);
        driver.stop = true;
        driverThread.join(10_000);

        driver.report(slow, openAtStart, rampSeconds);
        normal.report();
        double inferP99 = normal.infer.succeeded.quantileMs(99);
        double healthP99 = normal.health.succeeded.quantileMs(99);
        long failed = normal.failed();
        boolean met = failed == 0 && normal.sent() > 0 && inferP99 < TARGET_P99_MS && healthP99 < TARGET_P99_MS;
        System.out.printf(Locale.ROOT, "slow-clients connections=%d seconds=%d open_avg=%.0f server_closed=%d requests=%d "
                        + "infer_p99_ms=%s health_p99_ms=%s failed=%d target(p99<100ms,all ok)=%s%n",
                slow, seconds, driver.openAverage(), driver.serverClosed, normal.sent(), LatencySamples.format(inferP99),
                LatencySamples.format(healthP99), failed, met ? "met" : "not met");
    }

    /** The slow connections, all on one selector and one thread. */
    static final class SlowDriver implements Runnable {
        /** Connects in progress at once, so the server's accept queue does not overflow. */
        static final int MAX_PENDING_CONNECTS = 128;

        final InetSocketAddress address;
        final byte[] header;
        final byte[] body;
        final int target;
        final List<Slow> live = new ArrayList<>();
        volatile boolean stop;
        volatile boolean sampling;
        volatile long hardDeadline;
        volatile int open;
        int pendingConnects;
        long serverClosed;
        long reopened;
        long connectFailed;
        long bodiesFinished;
        long opened;
        final Map<String, Long> serverReplies = new TreeMap<>();
        final List<Long> closedAfterMs = new ArrayList<>();
        double openSum;
        int openSamples;
        int openMin = Integer.MAX_VALUE;

        SlowDriver(int port, byte[] body, int target) {
            this.address = new InetSocketAddress("127.0.0.1", port);
            this.body = body;
            this.target = target;
            this.header = ("POST /v2/models/seed/infer HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
        }

        /** One slow connection. */
        static final class Slow {
            SocketChannel channel;
            SelectionKey key;
            ByteBuffer pendingHeader;
            boolean connected;
            int index = -1;
            int sent;
            long connectedAt;
            long nextByteAt;
            boolean replied;
        }

        @Override
        public void run() {
            try (Selector selector = Selector.open()) {
                ByteBuffer scratch = ByteBuffer.allocate(16 * 1024);
                ByteBuffer oneByte = ByteBuffer.allocate(1);
                long nextSample = System.nanoTime() + 1_000_000_000L;
                while (!stop && System.nanoTime() < hardDeadline) {
                    openMore(selector);
                    selector.select(10);
                    long now = System.nanoTime();
                    for (SelectionKey key : selector.selectedKeys()) {
                        Slow slow = (Slow) key.attachment();
                        if (!key.isValid()) {
                            continue;
                        }
                        if (key.isConnectable()) {
                            finishConnect(slow, now);
                        } else if (key.isReadable()) {
                            read(slow, scratch, now);
                        }
                    }
                    selector.selectedKeys().clear();
                    trickle(oneByte, now);
                    if (now >= nextSample) {
                        nextSample += 1_000_000_000L;
                        if (sampling) {
                            openSum += open;
                            openSamples++;
                            openMin = Math.min(openMin, open);
                        }
                    }
                }
                for (Slow slow : new ArrayList<>(live)) {
                    closeQuietly(slow.channel);
                }
                for (SelectionKey key : selector.keys()) {
                    closeQuietly((SocketChannel) key.channel());
                }
            } catch (IOException e) {
                System.err.println("slow-clients: the slow-connection driver failed: " + e);
            }
        }

        private void openMore(Selector selector) {
            // Bounded per round: at most MAX_PENDING_CONNECTS connects in progress.
            while (open + pendingConnects < target && pendingConnects < MAX_PENDING_CONNECTS) {
                Slow slow = new Slow();
                try {
                    slow.channel = SocketChannel.open();
                    slow.channel.configureBlocking(false);
                    slow.channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                    pendingConnects++;
                    opened++;
                    if (opened > target) {
                        reopened++;
                    }
                    if (slow.channel.connect(address)) {
                        slow.key = slow.channel.register(selector, 0, slow);
                        finishConnect(slow, System.nanoTime());
                    } else {
                        slow.key = slow.channel.register(selector, SelectionKey.OP_CONNECT, slow);
                    }
                } catch (IOException e) {
                    pendingConnects = Math.max(0, pendingConnects - 1);
                    connectFailed++;
                    closeQuietly(slow.channel);
                    return; // try again next round
                }
            }
        }

        private void finishConnect(Slow slow, long now) {
            pendingConnects--;
            try {
                if (!slow.channel.isConnected() && !slow.channel.finishConnect()) {
                    pendingConnects++; // still in progress
                    return;
                }
                slow.pendingHeader = ByteBuffer.wrap(header);
                slow.channel.write(slow.pendingHeader);
                slow.connected = true;
                slow.connectedAt = now;
                slow.nextByteAt = now + 1_000_000_000L;
                slow.key.interestOps(SelectionKey.OP_READ);
                slow.index = live.size();
                live.add(slow);
                open = live.size();
            } catch (IOException e) {
                connectFailed++;
                closeQuietly(slow.channel);
            }
        }

        private void read(Slow slow, ByteBuffer scratch, long now) {
            scratch.clear();
            int n;
            try {
                n = slow.channel.read(scratch);
            } catch (IOException e) {
                n = -1; // reset by the server
            }
            if (n > 0) {
                if (!slow.replied) {
                    slow.replied = true;
                    String start = new String(scratch.array(), 0, Math.min(n, 12), StandardCharsets.US_ASCII);
                    String status = start.startsWith("HTTP/1.") && start.length() >= 12 ? start.substring(9, 12) : "?";
                    serverReplies.merge(status, 1L, Long::sum);
                }
                if (slow.sent >= body.length) {
                    bodiesFinished++; // answered after the whole body; start a new slow one
                    drop(slow);
                }
                return;
            }
            if (n < 0) {
                serverClosed++;
                closedAfterMs.add((now - slow.connectedAt) / 1_000_000);
                drop(slow);
            }
        }

        private void trickle(ByteBuffer oneByte, long now) {
            for (int i = live.size() - 1; i >= 0; i--) {
                Slow slow = live.get(i);
                if (now < slow.nextByteAt || slow.sent >= body.length) {
                    continue;
                }
                try {
                    if (slow.pendingHeader.hasRemaining()) {
                        slow.channel.write(slow.pendingHeader);
                    } else {
                        oneByte.clear();
                        oneByte.put(body[slow.sent]).flip();
                        slow.sent += slow.channel.write(oneByte);
                    }
                    slow.nextByteAt += 1_000_000_000L;
                } catch (IOException e) {
                    serverClosed++;
                    closedAfterMs.add((now - slow.connectedAt) / 1_000_000);
                    drop(slow);
                }
            }
        }

        private void drop(Slow slow) {
            closeQuietly(slow.channel);
            if (slow.index >= 0) {
                Slow last = live.remove(live.size() - 1);
                if (last != slow) {
                    live.set(slow.index, last);
                    last.index = slow.index;
                }
                slow.index = -1;
            }
            open = live.size();
        }

        double openAverage() {
            return openSamples == 0 ? open : openSum / openSamples;
        }

        void report(int slowTarget, int openAtStart, double rampSeconds) {
            long[] closedAfter = closedAfterMs.stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf(Locale.ROOT, "slow-clients slow_connections_target=%d open_at_start=%d (after %.1f s) "
                            + "open_avg=%.1f open_min=%d%n",
                    slowTarget, openAtStart, rampSeconds, openAverage(), openSamples == 0 ? open : openMin);
            System.out.printf(Locale.ROOT, "slow-clients server_closed=%d closed_after_p50_s=%s closed_after_max_s=%s "
                            + "reopened=%d connect_failed=%d whole_body_sent=%d server_replies=%s%n",
                    serverClosed, closedAfter.length == 0 ? "-" : String.format(Locale.ROOT, "%.1f",
                            LatencySamples.nearestRank(closedAfter, closedAfter.length, 50) / 1000.0),
                    closedAfter.length == 0 ? "-" : String.format(Locale.ROOT, "%.1f", closedAfter[closedAfter.length - 1] / 1000.0),
                    reopened, connectFailed, bodiesFinished, serverReplies.isEmpty() ? "none" : serverReplies.toString()
                            .replace(" ", "").replace("{", "").replace("}", "").replace("=", ":"));
        }
    }

    /** One kind of normal request: how many were sent, and the latencies of those that succeeded. */
    static final class RequestKind {
        final String name;
        final LatencySamples succeeded = new LatencySamples();
        long sent;

        RequestKind(String name) {
            this.name = name;
        }
    }

    /** Well-formed requests one after another, each with a deadline. */
    static final class NormalClient {
        final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(REQUEST_TIMEOUT_MS)).build();
        final HttpRequest[] requests;
        final RequestKind infer = new RequestKind("infer");
        final RequestKind health = new RequestKind("health");
        final RequestKind metrics = new RequestKind("metrics");
        final RequestKind[] kinds = {infer, health, metrics};
        final Map<String, Long> failures = new TreeMap<>();

        NormalClient(int port, byte[] body) {
            String base = "http://127.0.0.1:" + port;
            Duration timeout = Duration.ofMillis(REQUEST_TIMEOUT_MS);
            requests = new HttpRequest[] {
                HttpRequest.newBuilder(URI.create(base + "/v2/models/seed/infer")).timeout(timeout)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpRequest.newBuilder(URI.create(base + "/v2/health/ready")).timeout(timeout).GET().build(),
                HttpRequest.newBuilder(URI.create(base + "/metrics")).timeout(timeout).GET().build(),
            };
        }

        /** Sends requests in turn until {@code end} (System.nanoTime); counts them if {@code record}. */
        void run(long end, boolean record) throws InterruptedException {
            for (long i = 0; i < Long.MAX_VALUE && System.nanoTime() < end; i++) {
                int kind = (int) (i % requests.length);
                long start = System.nanoTime();
                String failure = send(requests[kind]);
                long took = System.nanoTime() - start;
                if (!record) {
                    if (failure != null) {
                        Thread.sleep(50); // warm-up: do not spin on a server that refuses
                    }
                    continue;
                }
                kinds[kind].sent++;
                if (failure == null) {
                    kinds[kind].succeeded.add(took);
                } else {
                    failures.merge(kinds[kind].name + "_" + failure, 1L, Long::sum);
                }
            }
        }

        /** Null on success, else why it failed. */
        private String send(HttpRequest request) throws InterruptedException {
            CompletableFuture<HttpResponse<byte[]>> pending = http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
            try {
                HttpResponse<byte[]> response = pending.get(REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                return response.statusCode() / 100 == 2 ? null : "status_" + response.statusCode();
            } catch (TimeoutException e) {
                pending.cancel(true);
                return "timeout";
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof HttpTimeoutException) {
                    return "timeout";
                }
                if (cause instanceof ConnectException) {
                    return "connect";
                }
                return cause instanceof IOException ? "io" : "error";
            }
        }

        long sent() {
            return infer.sent + health.sent + metrics.sent;
        }

        long failed() {
            return failures.values().stream().mapToLong(Long::longValue).sum();
        }

        void report() {
            StringBuilder reasons = new StringBuilder();
            failures.forEach((reason, n) -> reasons.append(' ').append("failed_").append(reason).append('=').append(n));
            System.out.printf(Locale.ROOT, "slow-clients normal_requests=%d succeeded=%d failed=%d%s%n",
                    sent(), sent() - failed(), failed(), reasons);
            for (RequestKind kind : kinds) {
                System.out.printf(Locale.ROOT, "slow-clients %s requests=%d succeeded=%d p50_ms=%s p99_ms=%s max_ms=%s%n",
                        kind.name, kind.sent, kind.succeeded.count(), kind.succeeded.ms(50), kind.succeeded.ms(99),
                        kind.succeeded.ms(100));
            }
        }
    }

    static void closeQuietly(SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
