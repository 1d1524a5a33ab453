package dev.dualnet.server.http;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests that failed through the client's doing (an aborted upload, a body too slow, malformed
 * framing): one WARN line per kind and interval, with how many more there were, and every one at
 * DEBUG. A hostile client can then not fill the log.
 */
public final class ClientFaults {
    private static final Logger LOG = LoggerFactory.getLogger(ClientFaults.class);

    private final long intervalNanos;
    private final LongSupplier clock;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    /** Faults of one kind since its last WARN line, and when that was; guarded by itself. */
    private static final class Window {
        long suppressed;
        long lastLogged;
        boolean logged;
    }

    public ClientFaults(long interval, TimeUnit unit, LongSupplier nanoClock) {
        this.intervalNanos = unit.toNanos(interval);
        this.clock = nanoClock;
    }

    public ClientFaults() {
        this(10, TimeUnit.SECONDS, System::nanoTime);
    }

    /**
     * @param kind what went wrong, e.g. "aborted upload"; the unit of rate limiting
     * @param detail what the client did, without a stack trace
     * @return whether a WARN line was written
     */
    public boolean report(String kind, String detail) {
        LOG.debug("client fault: {}: {}", kind, detail);
        Window window = windows.computeIfAbsent(kind, k -> new Window());
        long now = clock.getAsLong();
        synchronized (window) {
            if (window.logged && now - window.lastLogged < intervalNanos) {
                window.suppressed++;
                return false;
            }
            long more = window.suppressed;
            window.suppressed = 0;
            window.lastLogged = now;
            window.logged = true;
            LOG.warn("client fault: {}: {}{}", kind, detail, more == 0 ? ""
                    : " (" + more + " more since the last such line)");
            return true;
        }
    }
}
