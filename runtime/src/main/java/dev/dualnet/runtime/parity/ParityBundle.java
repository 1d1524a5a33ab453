package dev.dualnet.runtime.parity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dualnet.runtime.ModelRepository;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Fixed inputs with the training engine's outputs for them, so any runtime can prove it runs the
 * trained model. On disk: a directory with {@value #MANIFEST} and one raw little-endian file per
 * tensor (float32 or int64, row-major), named in the manifest with its dtype and shape.
 *
 * @param dir where the bundle lives
 * @param inputs input tensors by name
 * @param outputs expected output tensors by name
 * @param atol absolute tolerance
 * @param rtol relative tolerance
 * @param manifest the manifest as read
 */
public record ParityBundle(Path dir, Map<String, BundleTensor> inputs, Map<String, BundleTensor> outputs,
        double atol, double rtol, JsonNode manifest) {
    public static final String DIRECTORY = "parity";
    public static final String MANIFEST = "manifest.json";
    public static final int FORMAT = 1;

    /**
     * One tensor of a bundle.
     *
     * @param name tensor name
     * @param dtype "float32" or "int64"
     * @param shape dimensions
     * @param floats data when float32
     * @param longs data when int64
     */
    public record BundleTensor(String name, String dtype, long[] shape, float[] floats, long[] longs) {
        public int count() {
            return floats != null ? floats.length : longs.length;
        }
    }

    /** The bundle directory of a model file or repository entry: next to the model file. */
    public static Path locate(Path modelPath) {
        return ModelRepository.resolveModelFile(modelPath).toAbsolutePath().getParent().resolve(DIRECTORY);
    }

    /**
     * Reads a bundle directory.
     *
     * @throws IOException naming the file when the bundle is missing, malformed or inconsistent
     */
    public static ParityBundle read(Path dir) throws IOException {
        Path manifestFile = dir.resolve(MANIFEST);
        JsonNode manifest;
        try {
            manifest = new ObjectMapper().readTree(manifestFile.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new IOException(manifestFile + ": no parity bundle manifest", e);
        }
        if (manifest == null || manifest.path("format").asInt() != FORMAT) {
            throw new IOException(manifestFile + ": parity bundle format " + (manifest == null ? "?" : manifest.path("format"))
                    + ", expected " + FORMAT);
        }
        Map<String, BundleTensor> inputs = tensors(dir, manifest.path("inputs"));
        Map<String, BundleTensor> outputs = tensors(dir, manifest.path("outputs"));
        if (inputs.isEmpty() || outputs.isEmpty()) {
            throw new IOException(manifestFile + ": a bundle needs at least one input and one output");
        }
        JsonNode tolerance = manifest.path("tolerance");
        return new ParityBundle(dir, inputs, outputs, tolerance.path("atol").asDouble(Tolerance.DEFAULT),
                tolerance.path("rtol").asDouble(Tolerance.DEFAULT), manifest);
    }

    /** Number of samples: the first dimension of every tensor. */
    public int count() {
        return (int) inputs.values().iterator().next().shape()[0];
    }

    private static Map<String, BundleTensor> tensors(Path dir, JsonNode list) throws IOException {
        Map<String, BundleTensor> tensors = new LinkedHashMap<>();
        for (JsonNode node : list) {
            String name = node.path("name").asText();
            String dtype = node.path("dtype").asText();
            long[] shape = new long[node.path("shape").size()];
            long elements = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = node.path("shape").get(i).asLong();
                elements *= shape[i];
            }
            Path file = dir.resolve(node.path("file").asText());
            if (!file.normalize().startsWith(dir.normalize())) {
                throw new IOException(file + ": bundle files must stay inside " + dir);
            }
            byte[] bytes = Files.readAllBytes(file);
            int width = switch (dtype) {
                case "float32" -> Float.BYTES;
                case "int64" -> Long.BYTES;
                default -> throw new IOException(file + ": dtype '" + dtype + "', expected float32 or int64");
            };
            if (bytes.length != elements * width) {
                throw new IOException(file + ": " + bytes.length + " bytes, expected " + elements * width + " for "
                        + dtype + " " + Arrays.toString(shape));
            }
            ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            if (dtype.equals("float32")) {
                float[] data = new float[(int) elements];
                buffer.asFloatBuffer().get(data);
                tensors.put(name, new BundleTensor(name, dtype, shape, data, null));
            } else {
                long[] data = new long[(int) elements];
                buffer.asLongBuffer().get(data);
                tensors.put(name, new BundleTensor(name, dtype, shape, null, data));
            }
        }
        return tensors;
    }
}
