package dev.dualnet.parity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.ModelRepository;
import dev.dualnet.runtime.NamedTensor;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Fixed inputs with the reference's outputs for them, so any runtime can prove it runs the trained
 * model. On disk: a directory with {@value #MANIFEST} and one raw little-endian row-major file per
 * tensor, named in the manifest with its dtype and shape. In a batched bundle every tensor's first
 * dimension is the sample count, and a runtime may feed the samples in chunks; an unbatched bundle
 * ({@code "batched": false} in the manifest), for a model whose tensors do not all scale with one
 * batch, is one feed of whole tensors.
 *
 * @param dir where the bundle lives; null for a bundle built in memory
 * @param inputs input tensors by name, in manifest order
 * @param outputs expected output tensors by name, in manifest order
 * @param tolerance the tolerance the bundle was written with
 * @param batched whether the tensors lead with a common sample dimension
 */
public record ParityBundle(Path dir, Map<String, NamedTensor> inputs, Map<String, NamedTensor> outputs,
        Tolerance tolerance, boolean batched) {
    public static final String DIRECTORY = "parity";
    public static final String MANIFEST = "manifest.json";
    public static final int FORMAT = 1;

    /**
     * @throws IllegalArgumentException when a side is empty or, batched, the tensors disagree on the
     *     sample count
     */
    public ParityBundle {
        inputs = new LinkedHashMap<>(inputs);
        outputs = new LinkedHashMap<>(outputs);
        if (inputs.isEmpty() || outputs.isEmpty()) {
            throw new IllegalArgumentException("a parity bundle needs at least one input and one output");
        }
        long count = -1;
        for (NamedTensor tensor : batched ? Stream.concat(inputs.values().stream(), outputs.values().stream()).toList()
                : List.<NamedTensor>of()) {
            long[] shape = tensor.shape();
            if (shape.length == 0) {
                throw new IllegalArgumentException("tensor '" + tensor.name() + "' is a scalar; bundle tensors "
                        + "have the sample count as their first dimension");
            }
            if (count >= 0 && shape[0] != count) {
                throw new IllegalArgumentException("tensor '" + tensor.name() + "' has " + shape[0]
                        + " samples, the others " + count);
            }
            count = shape[0];
        }
        inputs = java.util.Collections.unmodifiableMap(inputs);
        outputs = java.util.Collections.unmodifiableMap(outputs);
    }

    /** A batched bundle. */
    public ParityBundle(Path dir, Map<String, NamedTensor> inputs, Map<String, NamedTensor> outputs,
            Tolerance tolerance) {
        this(dir, inputs, outputs, tolerance, true);
    }

    /** The bundle directory of a model file or repository entry: next to the model file. */
    public static Path locate(Path modelPath) {
        return ModelRepository.resolveModelFile(modelPath).toAbsolutePath().getParent().resolve(DIRECTORY);
    }

    /** Number of samples: the first dimension of every tensor when batched, else one feed. */
    public int count() {
        return batched ? (int) inputs.values().iterator().next().shape()[0] : 1;
    }

    /** The manifest name of an element type: NumPy's ("float32", "int64", "bool"...). */
    public static String dtypeName(ElementType type) {
        return switch (type) {
            case FP32 -> "float32";
            case FP64 -> "float64";
            case FP16 -> "float16";
            case INT8 -> "int8";
            case UINT8 -> "uint8";
            case INT16 -> "int16";
            case INT32 -> "int32";
            case INT64 -> "int64";
            case BOOL -> "bool";
        };
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
        } catch (NoSuchFileException | FileNotFoundException e) {
            throw new IOException(manifestFile + ": no parity bundle manifest", e);
        }
        if (manifest == null || manifest.path("format").asInt() != FORMAT) {
            throw new IOException(manifestFile + ": parity bundle format "
                    + (manifest == null ? "?" : manifest.path("format")) + ", expected " + FORMAT);
        }
        Map<String, NamedTensor> inputs = tensors(dir, manifest.path("inputs"));
        Map<String, NamedTensor> outputs = tensors(dir, manifest.path("outputs"));
        JsonNode tolerance = manifest.path("tolerance");
        try {
            return new ParityBundle(dir, inputs, outputs, new Tolerance(
                    tolerance.path("atol").asDouble(Tolerance.DEFAULT), tolerance.path("rtol").asDouble(Tolerance.DEFAULT)),
                    manifest.path("batched").asBoolean(true));
        } catch (IllegalArgumentException e) {
            throw new IOException(manifestFile + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, NamedTensor> tensors(Path dir, JsonNode list) throws IOException {
        Map<String, NamedTensor> tensors = new LinkedHashMap<>();
        for (JsonNode node : list) {
            String name = node.path("name").asText();
            String dtype = node.path("dtype").asText();
            long[] shape = new long[node.path("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = node.path("shape").get(i).asLong(-1);
                if (shape[i] < 0) {
                    throw new IOException(dir.resolve(MANIFEST) + ": tensor '" + name + "' has a negative or "
                            + "missing dimension");
                }
            }
            Path file = dir.resolve(node.path("file").asText());
            if (!file.normalize().startsWith(dir.normalize())) {
                throw new IOException(file + ": bundle files must stay inside " + dir);
            }
            ElementType type = elementType(file, dtype);
            long elements = NamedTensor.elementCount(shape);
            long width = type.byteSize();
            if (Files.size(file) != elements * width) {
                throw new IOException(file + ": " + Files.size(file) + " bytes, expected " + elements * width
                        + " for " + dtype + " " + Arrays.toString(shape));
            }
            try {
                Object data = type.fromLittleEndian(ByteBuffer.wrap(Files.readAllBytes(file)), (int) elements);
                tensors.put(name, new NamedTensor(name, type, shape, data));
            } catch (InvalidInputException e) {
                throw new IOException(file + ": " + e.getMessage(), e);
            }
        }
        return tensors;
    }

    private static ElementType elementType(Path file, String dtype) throws IOException {
        for (ElementType type : ElementType.values()) {
            if (dtypeName(type).equals(dtype)) {
                return type;
            }
        }
        throw new IOException(file + ": dtype '" + dtype + "', expected one of " + Arrays.stream(ElementType.values())
                .map(ParityBundle::dtypeName).collect(java.util.stream.Collectors.joining(", ")));
    }
}
