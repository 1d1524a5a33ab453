package dev.dualnet.runtime.testing;

import dev.dualnet.runtime.RuntimeOptions;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Shared test inputs: a small exported seed-preset model with its parity bundle, and the device
 * the tests run on. CPU by default; a GPU machine runs the same tests with
 * {@code -Pgpu -Ddualnet.test.device=cuda}, which makes CUDA mandatory.
 */
public final class Fixtures {
    private Fixtures() {}

    /** The repository entry {@code models/seed} under the test resources. */
    public static Path seedEntry() {
        try {
            return Path.of(Fixtures.class.getResource("/models/seed/config.pbtxt").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static RuntimeOptions.Device device() {
        return RuntimeOptions.Device.valueOf(System.getProperty("dualnet.test.device", "cpu").toUpperCase(Locale.ROOT));
    }

    public static RuntimeOptions options() {
        return RuntimeOptions.defaults().withDevice(device()).withIntraOpThreads(2);
    }
}
