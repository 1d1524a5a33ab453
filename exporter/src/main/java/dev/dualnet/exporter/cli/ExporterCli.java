package dev.dualnet.exporter.cli;

import dev.dualnet.trainer.util.Cli;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the exporter's commands; the {@code dualnet} launcher routes {@code export} here. */
@Command(name = "dualnet", mixinStandardHelpOptions = true, version = "dualnet 0.1.0",
        subcommands = {ExportCommand.class, ParityCommand.class, PipelineCommand.class},
        description = "Export trained dualnet checkpoints to ONNX and check the export is faithful.")
public final class ExporterCli {
    private ExporterCli() {}

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("java.awt.headless", "true");
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return Cli.commandLine(new ExporterCli());
    }
}
