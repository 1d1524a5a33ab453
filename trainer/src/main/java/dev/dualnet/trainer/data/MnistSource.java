package dev.dualnet.trainer.data;

import dev.dualnet.common.Sha256;
import dev.dualnet.common.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the MNIST files come from: either the user's own four IDX files, or the official release
 * kept in a cache directory, fetched on first use and verified by SHA-256 on every load.
 */
public final class MnistSource {
    /** Environment variable that moves the cache directory. */
    public static final String DATA_DIR_ENV = "DUALNET_DATA_DIR";

    private static final Logger LOG = LoggerFactory.getLogger(MnistSource.class);
    private static final Set<MnistFile> TEST_FILES = EnumSet.of(MnistFile.TEST_IMAGES, MnistFile.TEST_LABELS);

    private final Path cacheDir;
    private final Map<MnistFile, Path> userFiles;
    private final MnistFetcher fetcher;

    private MnistSource(Path cacheDir, Map<MnistFile, Path> userFiles, MnistFetcher fetcher) {
        this.cacheDir = cacheDir;
        this.userFiles = userFiles;
        this.fetcher = fetcher;
    }

    /** The official release, cached in {@code cacheDir} and fetched there by {@code fetcher} when absent. */
    public static MnistSource cached(Path cacheDir, MnistFetcher fetcher) {
        return new MnistSource(cacheDir, Map.of(), fetcher);
    }

    /**
     * The user's own files, one per {@link MnistFile}, or only the two test files for commands that
     * only evaluate ({@link #loadTest}); checksums are recorded, not enforced.
     */
    public static MnistSource userFiles(Map<MnistFile, Path> files) {
        if (files.size() != MnistFile.values().length && !files.keySet().equals(TEST_FILES)) {
            throw new UserException("own MNIST files need all four of --train-images, --train-labels, "
                    + "--test-images and --test-labels (export and parity need only the last two); got "
                    + files.size());
        }
        return new MnistSource(null, new EnumMap<>(files), null);
    }

    /**
     * The default cache directory: {@code $DUALNET_DATA_DIR}, else {@code $XDG_CACHE_HOME/dualnet/mnist},
     * else {@code ~/.cache/dualnet/mnist}.
     */
    public static Path defaultCacheDir(Map<String, String> env) {
        String override = env.get(DATA_DIR_ENV);
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("dualnet").resolve("mnist");
    }

    /**
     * Loads both splits, fetching the official files first if the cache lacks them.
     *
     * @throws UserException when a file is missing, corrupt, fails its checksum, or the splits disagree
     */
    public MnistData load() {
        if (!userFiles.isEmpty() && userFiles.size() != MnistFile.values().length) {
            throw new UserException("training needs own training files too: --train-images and --train-labels, "
                    + "besides --test-images and --test-labels");
        }
        boolean official = userFiles.isEmpty();
        Map<MnistFile, Path> files = official ? officialFiles() : userFiles;
        Map<String, String> checksums = new LinkedHashMap<>();
        for (MnistFile file : MnistFile.values()) {
            Path path = files.get(file);
            // officialFiles() has just hashed the cached files and found the official digests.
            checksums.put(path.toAbsolutePath().toString(), official ? file.sha256() : checksum(path));
        }
        MnistSplit train = split(files.get(MnistFile.TRAIN_IMAGES), files.get(MnistFile.TRAIN_LABELS));
        MnistSplit test = split(files.get(MnistFile.TEST_IMAGES), files.get(MnistFile.TEST_LABELS));
        LOG.info("MNIST: {} training and {} test images", train.size(), test.size());
        return new MnistData(train, test, checksums);
    }

    /**
     * Loads the test split alone, for commands that only evaluate; the official files are fetched
     * and verified as by {@link #load}.
     *
     * @throws UserException when a file is missing, corrupt, fails its checksum, or the counts disagree
     */
    public MnistSplit loadTest() {
        Map<MnistFile, Path> files = userFiles.isEmpty() ? officialFiles() : userFiles;
        MnistSplit test = split(files.get(MnistFile.TEST_IMAGES), files.get(MnistFile.TEST_LABELS));
        LOG.info("MNIST: {} test images", test.size());
        return test;
    }

    /**
     * Makes sure the cache holds the verified official files and returns their paths. Files it
     * lacks are fetched into it, even when the directory exists for other reasons; a file that is
     * there but not the official one is an error, checked before anything is fetched.
     *
     * @throws UserException when the cache is not a directory, a cached file fails its checksum,
     *     or fetching fails
     */
    public Map<MnistFile, Path> officialFiles() {
        if (cacheDir == null) {
            throw new IllegalStateException("a source of the user's own files has no cache");
        }
        if (Files.exists(cacheDir) && !Files.isDirectory(cacheDir)) {
            throw new UserException(cacheDir + ": not a directory; the MNIST cache (--data-dir, $" + DATA_DIR_ENV
                    + ") must be a directory, or a path that does not exist yet");
        }
        Map<MnistFile, Path> files = new EnumMap<>(MnistFile.class);
        Set<MnistFile> missing = EnumSet.noneOf(MnistFile.class);
        for (MnistFile file : MnistFile.values()) {
            Path path = cacheDir.resolve(file.fileName());
            files.put(file, path);
            if (Files.isRegularFile(path)) {
                verifyOfficial(file, path);
            } else if (Files.exists(path)) {
                throw new UserException(path + ": not a regular file; expected the MNIST file " + file.fileName());
            } else {
                missing.add(file);
            }
        }
        if (!missing.isEmpty()) {
            LOG.info("MNIST: {} of 4 files not cached in {}; fetching them", missing.size(), cacheDir);
            fetcher.fetchInto(cacheDir, missing);
            for (MnistFile file : missing) {
                Path path = files.get(file);
                if (!Files.isRegularFile(path)) {
                    throw new UserException(path + ": still missing after fetching MNIST into " + cacheDir);
                }
                verifyOfficial(file, path);
            }
        }
        return files;
    }

    private static void verifyOfficial(MnistFile file, Path path) {
        String actual = checksum(path);
        if (!actual.equals(file.sha256())) {
            throw new UserException(path + ": SHA-256 " + actual + ", expected " + file.sha256()
                    + " (the official file); delete this file to fetch it again");
        }
    }

    private static MnistSplit split(Path imageFile, Path labelFile) {
        MnistImages images = IdxReader.readImages(imageFile);
        MnistLabels labels = IdxReader.readLabels(labelFile);
        if (images.count() != labels.count()) {
            throw new UserException(labelFile + ": " + labels.count() + " labels, expected " + images.count()
                    + " to match the images in " + imageFile);
        }
        return new MnistSplit(images, labels);
    }

    private static String checksum(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new UserException(path + ": file not found");
        }
        try {
            return Sha256.of(path);
        } catch (IOException e) {
            throw new UserException(path + ": cannot read: " + e.getMessage(), e);
        }
    }
}
