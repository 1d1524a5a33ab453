package dev.dualnet.common.cli;

import dev.dualnet.common.UserException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Command-line conventions shared by every dualnet command.
 *
 * <p>Exit codes: {@value #EXIT_OK} success; {@value #EXIT_FAILURE} a check failed (parity, for
 * one) or the work could not finish; {@value #EXIT_BAD_INPUT} a usage or input error. User
 * mistakes end as one "error:" line, never a stack trace; files that cannot be read or written
 * end as one line; other failures are logged in full.
 */
public final class Cli {
    /** Exit code for success. */
    public static final int EXIT_OK = 0;
    /** Exit code for a failed check, or work that could not finish for reasons other than the input. */
    public static final int EXIT_FAILURE = 1;
    /** Exit code for a usage or input error: options, files, data. */
    public static final int EXIT_BAD_INPUT = 2;

    private static final Logger LOG = LoggerFactory.getLogger(Cli.class);

    private Cli() {}

    /** A picocli command line for {@code command} with dualnet's error handling. */
    public static CommandLine commandLine(Object command) {
        CommandLine cli = new CommandLine(command);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> report(e, commandLine.getErr()));
        cli.setParameterExceptionHandler(Cli::reportBadOption);
        return cli;
    }

    /**
     * A mistyped option or value: the reason, picocli's suggestions when it has any, and where the
     * options are listed, instead of the whole usage text after the reason.
     */
    private static int reportBadOption(CommandLine.ParameterException e, String[] args) {
        CommandLine failed = e.getCommandLine();
        PrintWriter err = failed.getErr();
        err.println("error: " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Run '" + failed.getCommandSpec().qualifiedName() + " --help' for its options.");
        return EXIT_BAD_INPUT;
    }

    private static int report(Exception e, PrintWriter err) {
        if (e instanceof UserException || e instanceof IllegalArgumentException) {
            err.println("error: " + e.getMessage());
            LOG.debug("user error", e);
            return EXIT_BAD_INPUT;
        }
        IOException io = e instanceof IOException direct ? direct
                : e instanceof UncheckedIOException wrapped ? wrapped.getCause() : null;
        if (io != null) {
            // Files the command could not read or write: the reason is the message, not the stack.
            err.println("error: " + describe(io));
            LOG.debug("I/O failure", e);
            return EXIT_FAILURE;
        }
        err.println("error: " + e);
        LOG.error("unexpected failure", e);
        return EXIT_FAILURE;
    }

    /** One line naming the file and what went wrong; the JDK's own messages name only the path for some. */
    static String describe(IOException e) {
        if (e instanceof FileSystemException fs && fs.getReason() == null) {
            String what = e instanceof NoSuchFileException ? "no such file or directory"
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof FileAlreadyExistsException ? "already exists"
                    : e instanceof NotDirectoryException ? "not a directory"
                    : e instanceof DirectoryNotEmptyException ? "directory not empty"
                    : e.getClass().getSimpleName();
            return fs.getFile() + (fs.getOtherFile() != null ? " -> " + fs.getOtherFile() : "") + ": " + what;
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
