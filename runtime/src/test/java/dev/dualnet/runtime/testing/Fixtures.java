package dev.dualnet.runtime.testing;

import dev.dualnet.runtime.RuntimeOptions;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Shared test inputs: a small exported seed-preset model with its parity bundle, and the device
 * the tests run on. CPU by default; a GPU machine runs the same tests with
 * {@code -Pgpu -Ddualnet.test.device=cuda}, which makes CUDA mandatory.
 */
public final class Fixtures {
    private Fixtures() {}

    /**
     * The repository entry {@code models/seed} under the runtime's test resources: where the build
     * says they are ({@code dualnet.test.models}, for other modules' tests), else on the class path.
     */
    public static Path seedEntry() {
        String models = System.getProperty("dualnet.test.models");
        if (models != null) {
            return Path.of(models, "seed");
        }
        try {
            return Path.of(Fixtures.class.getResource("/models/seed/config.pbtxt").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The images of the seed model's parity bundle, read from its raw file (float32, little endian,
     * [N, 1, 28, 28]); the parity module reads whole bundles.
     */
    public static float[] bundleImages() throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(seedEntry().resolve("1/parity/image.f32")))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] images = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(images);
        return images;
    }

    /** The numbers of the seed model's parity bundle (int64, [N]), read from its raw file. */
    public static int[] bundleNumbers() throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(seedEntry().resolve("1/parity/number.i64")))
                .order(ByteOrder.LITTLE_ENDIAN);
        int[] numbers = new int[bytes.remaining() / Long.BYTES];
        for (int i = 0; i < numbers.length; i++) {
            numbers[i] = Math.toIntExact(bytes.getLong());
        }
        return numbers;
    }

    public static RuntimeOptions.Device device() {
        return RuntimeOptions.Device.valueOf(System.getProperty("dualnet.test.device", "cpu").toUpperCase(Locale.ROOT));
    }

    public static RuntimeOptions options() {
        return RuntimeOptions.defaults().withDevice(device()).withIntraOpThreads(2);
    }
}
