package dev.dualnet.trainer.cli;

import dev.dualnet.trainer.data.MnistData;
import java.util.Map;
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
        MnistData mnist = data.source().load();
        System.out.printf("MNIST: %d training and %d test images%n", mnist.train().size(), mnist.test().size());
        for (Map.Entry<String, String> entry : new java.util.TreeMap<>(mnist.checksums()).entrySet()) {
            System.out.printf("  %s  %s%n", entry.getValue(), entry.getKey());
        }
        return 0;
    }
}
