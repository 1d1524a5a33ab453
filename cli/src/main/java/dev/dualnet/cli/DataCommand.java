package dev.dualnet.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code dualnet data}: fetches (if needed) and verifies MNIST, then prints where it is. */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Fetch MNIST into the cache if missing, verify every file, and print paths and SHA-256.")
final class DataCommand implements Callable<Integer> {
    @Mixin
    DataOptions data;

    @Override
    public Integer call() {
        return DataJob.run(data);
    }
}
