package dev.dualnet.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Small ONNX models built for the server's tests (server/src/test/resources/onnx): {@code tagged}
 * answers y = x + tag for x float32 [N, 1], its tag written into each copy so that versions answer
 * apart; {@code slow} takes x float32 [N, 8] through 40000 rounds of a 512 x 512 product to y [N, 1].
 */
public final class TestModels {
    /** The tag as it stands in tagged.onnx, replaced in every copy. */
    private static final float TAG_MARK = 12345f;

    private TestModels() {}

    /** Writes {@code repository/name/version/model.onnx} answering y = x + tag, as one atomic move. */
    public static Path tagged(Path repository, String name, long version, float tag) throws IOException {
        byte[] model = resource("tagged.onnx");
        byte[] mark = floatBytes(TAG_MARK);
        int at = indexOf(model, mark);
        System.arraycopy(floatBytes(tag), 0, model, at, mark.length);
        return placeVersion(repository, name, version, model);
    }

    /** Writes {@code repository/name/version/model.onnx} as the slow model. */
    public static Path slow(Path repository, String name, long version) throws IOException {
        return placeVersion(repository, name, version, resource("slow.onnx"));
    }

    /** Writes bytes that are no ONNX model as a version, as a half-copied or corrupt file would be. */
    public static Path corrupt(Path repository, String name, long version) throws IOException {
        return placeVersion(repository, name, version, "not an onnx model".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Writes the entry's config.pbtxt. */
    public static void config(Path repository, String name, String text) throws IOException {
        Files.createDirectories(repository.resolve(name));
        Files.writeString(repository.resolve(name).resolve("config.pbtxt"), text);
    }

    /** Builds the version directory beside the repository and moves it in, as a deployment would. */
    private static Path placeVersion(Path repository, String name, long version, byte[] model) throws IOException {
        Path entry = Files.createDirectories(repository.resolve(name));
        Path staging = Files.createTempDirectory(repository.getParent(), ".version-");
        Files.write(staging.resolve("model.onnx"), model);
        Path target = entry.resolve(Long.toString(version));
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        return target.resolve("model.onnx");
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = TestModels.class.getResourceAsStream("/onnx/" + name)) {
            if (in == null) {
                throw new IOException("test resource /onnx/" + name + " is missing");
            }
            return in.readAllBytes();
        }
    }

    private static byte[] floatBytes(float value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).array();
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        for (int i = 0; i + pattern.length <= data.length; i++) {
            if (java.util.Arrays.equals(data, i, i + pattern.length, pattern, 0, pattern.length)) {
                return i;
            }
        }
        throw new IllegalStateException("tagged.onnx holds no tag to replace");
    }
}
