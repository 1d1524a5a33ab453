package dev.dualnet.benchmarks.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Closed-loop HTTP/1.1 load on a dualnet server at 127.0.0.1:PORT: CONNECTIONS keep-alive
 * connections, each sending {@code POST /v2/models/seed/infer} with the JSON body again as soon as
 * the previous response is complete, driven by two NIO threads. Unlike wrk it keeps the latency
 * of each kind of answer apart, so the p99 of the requests that got a 2xx is not mixed with fast
 * 503 refusals.
 *
 * <pre>java -cp benchmarks/target/dualnet-benchmarks-0.1.0-SNAPSHOT.jar dev.dualnet.benchmarks.server.ClosedLoopLoad \
 *      PORT BODY_JSON CONNECTIONS SECONDS [WARMUP_SECONDS]</pre>
 *
 * WARMUP_SECONDS (default 5) of the same load come first and are not counted. A request without a
 * complete answer in 10 s counts as a timeout and its connection is replaced, as is one the server
 * closes or resets. Prints lines that start with "overload", the last one the verdict against the
 * target: p99 of the 2xx answers under 250 ms, and every request answered, with 2xx or 503.
 */
public final class ClosedLoopLoad {
    static final String USAGE = "usage: dev.dualnet.benchmarks.server.ClosedLoopLoad PORT BODY_JSON CONNECTIONS SECONDS [WARMUP_SECONDS]";
    static final LoadArguments.Program PROGRAM = new LoadArguments.Program("ClosedLoopLoad", USAGE, "CONNECTIONS", 1);
    static final int THREADS = 2;
    static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final double TARGET_P99_MS = 250;

    private ClosedLoopLoad() {}

    public static void main(String[] args) throws Exception {
        LoadArguments arguments = LoadArguments.parse(PROGRAM, args);
        int connections = arguments.connections();
        int seconds = arguments.seconds();
        byte[] body = Files.readAllBytes(arguments.bodyFile());
        byte[] header = ("POST /v2/models/seed/infer HTTP/1.1\r\nHost: 127.0.0.1:" + arguments.port()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] request = Arrays.copyOf(header, header.length + body.length);
        System.arraycopy(body, 0, request, header.length, body.length);

        long measureStart = System.nanoTime() + TimeUnit.SECONDS.toNanos(arguments.warmupSeconds());
        long measureEnd = measureStart + TimeUnit.SECONDS.toNanos(seconds);
        Driver[] drivers = new Driver[THREADS];
        Thread[] threads = new Thread[THREADS];
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", arguments.port());
        for (int t = 0; t < THREADS; t++) {
            int share = connections / THREADS + (t < connections % THREADS ? 1 : 0);
            drivers[t] = new Driver(address, request, share, measureStart, measureEnd);
            threads[t] = new Thread(drivers[t], "load-" + t);
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join(TimeUnit.NANOSECONDS.toMillis(measureEnd - System.nanoTime()) + 30_000);
        }

        LatencySamples ok = new LatencySamples();
        LatencySamples busy = new LatencySamples();
        LatencySamples other = new LatencySamples();
        Map<Integer, Long> otherStatuses = new TreeMap<>();
        long connectErrors = 0;
        long readErrors = 0;
        long writeErrors = 0;
        long timeouts = 0;
        for (Driver driver : drivers) {
            ok.addAll(driver.ok);
            busy.addAll(driver.busy);
            other.addAll(driver.other);
            driver.otherStatuses.forEach((status, n) -> otherStatuses.merge(status, n, Long::sum));
            connectErrors += driver.connectErrors;
            readErrors += driver.readErrors;
            writeErrors += driver.writeErrors;
            timeouts += driver.timeouts;
        }
        long socketErrors = connectErrors + readErrors + writeErrors + timeouts;
        StringBuilder others = new StringBuilder();
        otherStatuses.forEach((status, n) -> others.append(others.length() == 0 ? "" : ",").append(status).append(':').append(n));
        System.out.printf(Locale.ROOT, "overload client=java connections=%d seconds=%d requests/s_2xx=%.1f 2xx=%d 503=%d "
                        + "other_non2xx=%d%s socket_errors=%d (connect %d, read %d, write %d, timeout %d)%n",
                connections, seconds, ok.count() / (double) seconds, ok.count(), busy.count(), other.count(),
                others.length() == 0 ? "" : " (" + others + ")", socketErrors, connectErrors, readErrors, writeErrors,
                timeouts);
        System.out.printf(Locale.ROOT, "overload client=java 2xx_p50_ms=%s 2xx_p99_ms=%s 2xx_max_ms=%s 503_p50_ms=%s "
                        + "503_p99_ms=%s 503_max_ms=%s%n",
                ok.ms(50), ok.ms(99), ok.ms(100), busy.ms(50), busy.ms(99), busy.ms(100));
        double p99 = ok.quantileMs(99);
        boolean met = ok.count() > 0 && p99 < TARGET_P99_MS && other.count() == 0 && socketErrors == 0;
        System.out.printf(Locale.ROOT, "overload connections=%d answered_2xx_p99_ms=%s 503=%d other_non2xx=%d socket_errors=%d "
                        + "target(p99 of answered<250ms, excess gets 503)=%s%n",
                connections, ok.ms(99), busy.count(), other.count(), socketErrors, met ? "met" : "not met");
    }

    /** One thread's connections on one selector. */
    static final class Driver implements Runnable {
        static final int MAX_PENDING_CONNECTS = 64;

        final InetSocketAddress address;
        final byte[] request;
        final int target;
        final long measureStart;
        final long measureEnd;
        final List<Conn> conns = new ArrayList<>();
        final LatencySamples ok = new LatencySamples();
        final LatencySamples busy = new LatencySamples();
        final LatencySamples other = new LatencySamples();
        final Map<Integer, Long> otherStatuses = new TreeMap<>();
        long connectErrors;
        long readErrors;
        long writeErrors;
        long timeouts;
        int live;
        int pendingConnects;

        Driver(InetSocketAddress address, byte[] request, int target, long measureStart, long measureEnd) {
            this.address = address;
            this.request = request;
            this.target = target;
            this.measureStart = measureStart;
            this.measureEnd = measureEnd;
        }

        /** A connection with at most one request outstanding. */
        static final class Conn {
            SocketChannel channel;
            SelectionKey key;
            boolean connected;
            ByteBuffer out;
            ByteBuffer in = ByteBuffer.allocate(16 * 1024);
            long sentAt;
            boolean awaiting;
            int headerEnd = -1;
            int status;
            long contentLength = -1;
            boolean chunked;
            boolean close;
            int scanFrom;
        }

        boolean counting(long start, long now) {
            return start >= measureStart && now <= measureEnd;
        }

        @Override
        public void run() {
            try (Selector selector = Selector.open()) {
                long nextTimeoutScan = System.nanoTime();
                while (System.nanoTime() < measureEnd) {
                    openMore(selector);
                    selector.select(50);
                    long now = System.nanoTime();
                    for (SelectionKey key : selector.selectedKeys()) {
                        Conn conn = (Conn) key.attachment();
                        if (!key.isValid()) {
                            continue;
                        }
                        if (key.isConnectable()) {
                            finishConnect(conn, now);
                        } else {
                            if (key.isWritable()) {
                                write(conn, now);
                            }
                            if (key.isValid() && key.isReadable()) {
                                read(conn, now);
                            }
                        }
                    }
                    selector.selectedKeys().clear();
                    if (now >= nextTimeoutScan) {
                        nextTimeoutScan = now + 100_000_000L;
                        for (Conn conn : new ArrayList<>(conns)) {
                            if (conn.awaiting && now - conn.sentAt > TIMEOUT_NANOS) {
                                if (counting(conn.sentAt, now)) {
                                    timeouts++;
                                }
                                drop(conn);
                            }
                        }
                    }
                }
                for (Conn conn : conns) {
                    closeQuietly(conn.channel);
                }
            } catch (IOException e) {
                System.err.println("overload: a load thread failed: " + e);
            }
        }

        private void openMore(Selector selector) {
            while (live + pendingConnects < target && pendingConnects < MAX_PENDING_CONNECTS) {
                Conn conn = new Conn();
                try {
                    conn.channel = SocketChannel.open();
                    conn.channel.configureBlocking(false);
                    conn.channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    pendingConnects++;
                    conn.key = conn.channel.register(selector, SelectionKey.OP_CONNECT, conn);
                    if (conn.channel.connect(address)) {
                        finishConnect(conn, System.nanoTime());
                    }
                } catch (IOException e) {
                    pendingConnects = Math.max(0, pendingConnects - 1);
                    connectErrors++;
                    closeQuietly(conn.channel);
                    return; // again next round
                }
            }
        }

        private void finishConnect(Conn conn, long now) {
            try {
                if (!conn.channel.isConnected() && !conn.channel.finishConnect()) {
                    return;
                }
            } catch (IOException e) {
                pendingConnects--;
                if (counting(now, now)) {
                    connectErrors++;
                }
                closeQuietly(conn.channel);
                return;
            }
            pendingConnects--;
            conn.connected = true;
            conns.add(conn);
            live++;
            send(conn, now);
        }

        private void send(Conn conn, long now) {
            conn.out = ByteBuffer.wrap(request);
            conn.sentAt = now;
            conn.awaiting = true;
            conn.in.clear();
            conn.headerEnd = -1;
            conn.contentLength = -1;
            conn.chunked = false;
            conn.close = false;
            conn.scanFrom = 0;
            write(conn, now);
        }

        private void write(Conn conn, long now) {
            try {
                conn.channel.write(conn.out);
            } catch (IOException e) {
                if (counting(conn.sentAt, now)) {
                    writeErrors++;
                }
                drop(conn);
                return;
            }
            conn.key.interestOps(conn.out.hasRemaining() ? SelectionKey.OP_WRITE | SelectionKey.OP_READ : SelectionKey.OP_READ);
        }

        private void read(Conn conn, long now) {
            int n;
            try {
                if (!conn.in.hasRemaining()) {
                    conn.in = ByteBuffer.allocate(conn.in.capacity() * 2).put(conn.in.flip());
                }
                n = conn.channel.read(conn.in);
            } catch (IOException e) {
                n = -2;
            }
            if (n < 0) {
                if (conn.awaiting && counting(conn.sentAt, now)) {
                    readErrors++;
                }
                drop(conn);
                return;
            }
            if (!conn.awaiting || !complete(conn)) {
                return;
            }
            conn.awaiting = false;
            long took = now - conn.sentAt;
            if (counting(conn.sentAt, now)) {
                if (conn.status / 100 == 2) {
                    ok.add(took);
                } else if (conn.status == 503) {
                    busy.add(took);
                } else {
                    other.add(took);
                    otherStatuses.merge(conn.status, 1L, Long::sum);
                }
            }
            if (conn.close) {
                drop(conn);
            } else {
                send(conn, now);
            }
        }

        /** Whether conn.in holds the whole response; parses its head the first time it can. */
        private static boolean complete(Conn conn) {
            byte[] b = conn.in.array();
            int end = conn.in.position();
            if (conn.headerEnd < 0) {
                int i = Math.max(0, conn.scanFrom - 3);
                for (; i + 3 < end; i++) {
                    if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                        break;
                    }
                }
                if (i + 3 >= end) {
                    conn.scanFrom = end;
                    return false;
                }
                conn.headerEnd = i + 4;
                String head = new String(b, 0, i, StandardCharsets.ISO_8859_1);
                String[] lines = head.split("\r\n");
                conn.status = lines[0].length() >= 12 ? Integer.parseInt(lines[0].substring(9, 12)) : 0;
                for (int l = 1; l < lines.length; l++) {
                    String line = lines[l].toLowerCase(Locale.ROOT);
                    int colon = line.indexOf(':');
                    if (colon < 0) {
                        continue;
                    }
                    String name = line.substring(0, colon).trim();
                    String value = line.substring(colon + 1).trim();
                    if (name.equals("content-length")) {
                        conn.contentLength = Long.parseLong(value);
                    } else if (name.equals("transfer-encoding") && value.contains("chunked")) {
                        conn.chunked = true;
                    } else if (name.equals("connection") && value.contains("close")) {
                        conn.close = true;
                    }
                }
                if (!conn.chunked && conn.contentLength < 0) {
                    conn.contentLength = 0; // no body framing: nothing more to wait for on a keep-alive reply
                    conn.close = true;
                }
            }
            if (!conn.chunked) {
                return end >= conn.headerEnd + conn.contentLength;
            }
            // Chunked: sizes in hex, each chunk followed by CRLF, a zero chunk and a CRLF at the end.
            int at = conn.headerEnd;
            for (int chunk = 0; chunk < 1_000_000; chunk++) {
                int lineEnd = at;
                while (lineEnd + 1 < end && !(b[lineEnd] == '\r' && b[lineEnd + 1] == '\n')) {
                    lineEnd++;
                }
                if (lineEnd + 1 >= end) {
                    return false;
                }
                String sizeText = new String(b, at, lineEnd - at, StandardCharsets.ISO_8859_1);
                int semicolon = sizeText.indexOf(';');
                long size = Long.parseLong((semicolon < 0 ? sizeText : sizeText.substring(0, semicolon)).trim(), 16);
                at = lineEnd + 2;
                if (size == 0) {
                    return end >= at + 2; // no trailers from this server
                }
                at += size + 2;
                if (at > end) {
                    return false;
                }
            }
            return false;
        }

        private void drop(Conn conn) {
            closeQuietly(conn.channel);
            if (conn.connected) {
                conn.connected = false;
                conns.remove(conn);
                live--;
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
