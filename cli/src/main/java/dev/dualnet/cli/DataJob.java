package dev.dualnet.cli;

import dev.dualnet.trainer.data.MnistData;
import java.util.Map;
import java.util.TreeMap;

/** The work of {@code dualnet data}: load (fetching if needed) and verify MNIST, then say where it is. */
final class DataJob {
    private DataJob() {}

    static int run(DataOptions options) {
        MnistData mnist = MnistSources.of(options).load();
        System.out.printf("MNIST: %d training and %d test images%n", mnist.train().size(), mnist.test().size());
        for (Map.Entry<String, String> entry : new TreeMap<>(mnist.checksums()).entrySet()) {
            System.out.printf("  %s  %s%n", entry.getValue(), entry.getKey());
        }
        return 0;
    }
}
