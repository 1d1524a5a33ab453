package dev.dualnet.trainer.cli;

import dev.dualnet.trainer.util.Cli;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the trainer's commands; the {@code dualnet} launcher routes {@code train} and {@code data} here. */
@Command(name = "dualnet", mixinStandardHelpOptions = true, version = "dualnet 0.1.0",
        subcommands = {TrainCommand.class, DataCommand.class},
        description = "Train the dual-input MNIST network with DJL.")
public final class TrainerCli {
    private TrainerCli() {}

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, for the launcher and for tests. */
    public static CommandLine commandLine() {
        return Cli.commandLine(new TrainerCli());
    }
}
