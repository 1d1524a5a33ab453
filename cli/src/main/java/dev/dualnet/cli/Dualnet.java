package dev.dualnet.cli;

import dev.dualnet.common.cli.Cli;
import dev.dualnet.server.DualnetServer;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code dualnet} command: the root of every subcommand. The {@code dualnet} launcher script
 * finds Java, builds what changed and starts this class with the class path the command needs:
 * without DJL and libtorch for {@code serve}, {@code predict} and {@code parity} against a bundle.
 */
@Command(name = "dualnet", mixinStandardHelpOptions = true, version = "dualnet " + DualnetServer.VERSION,
        subcommands = {PipelineCommand.class, TrainCommand.class, DataCommand.class, ExportCommand.class,
            ParityCommand.class, ServeCommand.class, PredictCommand.class},
        synopsisSubcommandLabel = "COMMAND",
        usageHelpWidth = 112,
        description = {
            "Train a dual-input MNIST network in Java, export it to ONNX, prove the export faithful, serve it anywhere.",
            ""
        },
        commandListHeading = "%nCommands:%n",
        footerHeading = "%n",
        footer = {
            "  test      (the launcher) Install what the tests need (Debian packages, as root or with sudo -n), then "
                    + "run them all",
            "",
            "Run 'dualnet COMMAND --help' for the options of a command.",
            "Exit codes: 0 ok; 1 a check failed or the work could not finish; 2 usage or input error.",
            "",
            "Environment:",
            "  JAVA_HOME            JDK 17+ to use (default: java on PATH)",
            "  DUALNET_DATA_DIR     MNIST cache directory (default: ~/.cache/dualnet/mnist)",
            "  DJL_CACHE_DIR        where the PyTorch natives are unpacked (default: ~/.cache/dualnet/djl)",
            "  JAVA_OPTS            extra JVM options; a collector named here (-XX:+Use...GC) replaces the serial",
            "                       collector that the training-engine commands get by default",
            "  DUALNET_SERVER_HEAP  heap of 'dualnet serve' (default: 512m, fixed and pre-touched)",
            "  DUALNET_MALLOC       native allocator: auto (default: tcmalloc when the system has it, else the C",
            "                       library's), tcmalloc (required) or system",
            "  OMP_WAIT_POLICY      PASSIVE: libtorch's OpenMP threads sleep at once between kernels; unset (the",
            "                       default): they spin GOMP_SPINCOUNT times first (default 20000). Trainings that",
            "                       share cores with other busy processes should use PASSIVE or --threads 1",
            "  DUALNET_BUILD        what the launcher builds: cpu (the default build) or gpu (Maven profile gpu:",
            "                       CUDA natives and onnxruntime_gpu, which fall back to the CPU without a GPU);",
            "                       unset keeps the current build, cpu if there is none",
            "",
            "Launcher diagnostics:",
            "  dualnet --native-allocator   the allocator the commands get: 'tcmalloc PATH' or 'system'",
            "  dualnet --openmp-wait        the OMP_WAIT_POLICY / GOMP_SPINCOUNT the commands get",
            "  dualnet --java-gc COMMAND [OPTIONS]  the garbage-collector option that command line's JVM gets, if any"
        })
public final class Dualnet implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** Without a command: the usage, as with {@code --help}. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return Cli.EXIT_OK;
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(commandLine().execute(args));
    }

    /** The command tree with dualnet's error handling and exit codes. */
    public static CommandLine commandLine() {
        return Cli.commandLine(new Dualnet());
    }
}
