package dev.dualnet.server;

import java.io.PrintWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the server's commands; the {@code dualnet} launcher routes {@code serve} here. */
@Command(name = "dualnet", mixinStandardHelpOptions = true, version = "dualnet " + DualnetServer.VERSION,
        subcommands = {ServeCommand.class, PredictCommand.class},
        description = "Serve ONNX models over HTTP, or predict one picture.")
public final class ServerCli {
    private static final Logger LOG = LoggerFactory.getLogger(ServerCli.class);

    private ServerCli() {}

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(commandLine().execute(args));
    }

    /** Bad options or files end as an "error:" line and exit 2; nothing else is expected to escape. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new ServerCli());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (e instanceof IllegalArgumentException) {
                err.println("error: " + e.getMessage());
                return 2;
            }
            err.println("error: " + e);
            LOG.error("unexpected failure", e);
            return 1;
        });
        // A mistyped option gets its reason and picocli's suggestions, not the whole usage text.
        cli.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("error: " + e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
            err.println("Run '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for its options.");
            return 2;
        });
        return cli;
    }
}
