package dev.dualnet.cli.testing;

import dev.dualnet.cli.Dualnet;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the {@code dualnet} command tree in this JVM and keeps what it printed, for assertions. */
public final class CapturedRun {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    /** Runs one command line; its output adds to what earlier runs printed. */
    public int run(String... args) {
        CommandLine cli = Dualnet.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    public String out() {
        return out.toString();
    }

    public String err() {
        return err.toString();
    }

    /** Forgets what was printed to standard error so far. */
    public void clearErr() {
        err.getBuffer().setLength(0);
    }
}
