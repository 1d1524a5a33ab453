package dev.dualnet.server.grpc;

import dev.dualnet.server.http.ClientFaults;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * grpc-java's Netty transport logs through java.util.logging, with a stack trace, every connection
 * that speaks no HTTP/2 and every message over the size limit: a client could fill the log with
 * them. While installed, this takes those records off the console and reports them as client
 * faults (a WARN line per kind and interval, no stack trace); a SEVERE one is the server's own
 * fault and is logged as an error with its cause.
 */
final class TransportLog extends Handler {
    /** The package of grpc-java's shaded Netty transport, whose loggers are named after its classes. */
    static final String TRANSPORT = "io.grpc.netty.shaded.io.grpc.netty";
    private static final Logger LOG = LoggerFactory.getLogger(TransportLog.class);

    // Held here: java.util.logging keeps loggers weakly, and would drop the handler with an unused one.
    private final java.util.logging.Logger transport = java.util.logging.Logger.getLogger(TRANSPORT);
    private final ClientFaults faults;

    TransportLog(ClientFaults faults) {
        this.faults = faults;
    }

    void install() {
        transport.addHandler(this);
        transport.setUseParentHandlers(false);
    }

    void uninstall() {
        transport.removeHandler(this);
    }

    @Override
    public void publish(LogRecord record) {
        Throwable thrown = record.getThrown();
        String message = record.getMessage() == null ? "" : record.getMessage();
        if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
            LOG.error("gRPC transport: {}", message, thrown);
            return;
        }
        String detail = thrown == null ? message : firstLine(thrown.getMessage() != null ? thrown.getMessage()
                : thrown.getClass().getSimpleName());
        faults.report("gRPC " + message, detail);
    }

    private static String firstLine(String text) {
        int end = text.indexOf('\n');
        String line = end < 0 ? text : text.substring(0, end);
        return line.length() > 160 ? line.substring(0, 160) + "..." : line;
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        uninstall();
    }
}
