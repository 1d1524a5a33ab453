package dev.dualnet.trainer.cli;

import dev.dualnet.trainer.util.UserException;
import java.io.PrintWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the trainer's commands. The {@code dualnet} launcher routes {@code train} and
 * {@code data} here; user mistakes end as one "error:" line and exit code 2, never a stack trace.
 */
@Command(name = "dualnet", mixinStandardHelpOptions = true, version = "dualnet 0.1.0",
        subcommands = {TrainCommand.class, DataCommand.class},
        description = "Train the dual-input MNIST network with DJL.")
public final class TrainerCli {
    /** Exit code for bad input: options, files, data. */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit code for failures that are not the user's doing. */
    public static final int EXIT_FAILURE = 1;

    private static final Logger LOG = LoggerFactory.getLogger(TrainerCli.class);

    private TrainerCli() {}

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, for the launcher and for tests. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new TrainerCli());
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
