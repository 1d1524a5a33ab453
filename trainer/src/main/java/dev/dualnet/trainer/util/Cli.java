package dev.dualnet.trainer.util;

import java.io.PrintWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Command-line conventions shared by every dualnet command: user mistakes end as one "error:"
 * line and exit code {@value #EXIT_BAD_INPUT}, never a stack trace; other failures exit
 * {@value #EXIT_FAILURE} and are logged in full.
 */
public final class Cli {
    /** Exit code for bad input: options, files, data. */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit code for failures that are not the user's doing. */
    public static final int EXIT_FAILURE = 1;

    private static final Logger LOG = LoggerFactory.getLogger(Cli.class);

    private Cli() {}

    /** A picocli command line for {@code command} with dualnet's error handling. */
    public static CommandLine commandLine(Object command) {
        CommandLine cli = new CommandLine(command);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> report(e, commandLine.getErr()));
        return cli;
    }

    private static int report(Exception e, PrintWriter err) {
        if (e instanceof UserException || e instanceof IllegalArgumentException) {
            err.println("error: " + e.getMessage());
            LOG.debug("user error", e);
            return EXIT_BAD_INPUT;
        }
        err.println("error: " + e);
        LOG.error("unexpected failure", e);
        return EXIT_FAILURE;
    }
}
