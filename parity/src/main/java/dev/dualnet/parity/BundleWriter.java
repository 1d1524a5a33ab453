package dev.dualnet.parity;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dualnet.common.AtomicFiles;
import dev.dualnet.common.Json;
import dev.dualnet.runtime.NamedTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Writes a {@link ParityBundle}: the inputs and the reference's outputs as raw little-endian files
 * plus a manifest. The bundle is built in a temporary directory and then moved into place, so
 * readers never see half of one.
 */
public final class BundleWriter {
    private BundleWriter() {}

    /**
     * @param dir the bundle directory to create or replace
     * @param bundle the tensors and tolerance to write; its own {@code dir} is ignored
     * @param description what the bundle holds, for people reading the manifest
     * @param source facts recorded in the manifest (engine, data, seeds)
     * @throws IOException if writing fails; an existing bundle is then left as it was
     */
    public static void write(Path dir, ParityBundle bundle, String description, Map<String, Object> source)
            throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path staging = Files.createTempDirectory(parent, ".parity-");
        try {
            ObjectNode manifest = Json.mapper().createObjectNode();
            manifest.put("format", ParityBundle.FORMAT);
            manifest.put("description", description + " Each tensor is a raw little-endian row-major file; a runtime "
                    + "passes if every output element is within atol or rtol of the expected value.");
            manifest.put("count", bundle.count());
            if (!bundle.batched()) {
                manifest.put("batched", false);
            }
            ObjectNode tolerance = manifest.putObject("tolerance");
            tolerance.put("atol", bundle.tolerance().atol());
            tolerance.put("rtol", bundle.tolerance().rtol());
            tolerance.put("rule", "an element fails only if |actual - expected| > atol and > rtol * |expected|");
            Set<String> files = new HashSet<>();
            ArrayNode inputs = manifest.putArray("inputs");
            for (NamedTensor tensor : bundle.inputs().values()) {
                inputs.add(tensor(staging, tensor, files));
            }
            ArrayNode outputs = manifest.putArray("outputs");
            for (NamedTensor tensor : bundle.outputs().values()) {
                outputs.add(tensor(staging, tensor, files));
            }
            manifest.set("source", Json.mapper().valueToTree(source));
            Files.writeString(staging.resolve(ParityBundle.MANIFEST), Json.writer().writeValueAsString(manifest));
            AtomicFiles.replaceDirectory(staging, dir);
        } finally {
            AtomicFiles.deleteRecursively(staging);
        }
    }

    private static ObjectNode tensor(Path dir, NamedTensor tensor, Set<String> files) throws IOException {
        String file = fileName(tensor, files);
        Files.write(dir.resolve(file), tensor.type().toLittleEndian(tensor.data()));
        ObjectNode node = Json.mapper().createObjectNode();
        node.put("name", tensor.name());
        node.put("file", file);
        node.put("dtype", ParityBundle.dtypeName(tensor.type()));
        ArrayNode dims = node.putArray("shape");
        for (long dim : tensor.shape()) {
            dims.add(dim);
        }
        return node;
    }

    /** The tensor's name with a suffix for its type; names that are no safe file name get a numbered one. */
    private static String fileName(NamedTensor tensor, Set<String> taken) {
        String suffix = switch (tensor.type()) {
            case FP32 -> ".f32";
            case FP64 -> ".f64";
            case FP16 -> ".f16";
            case INT8 -> ".i8";
            case UINT8 -> ".u8";
            case INT16 -> ".i16";
            case INT32 -> ".i32";
            case INT64 -> ".i64";
            case BOOL -> ".bool";
        };
        String base = tensor.name().matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}") ? tensor.name() : "tensor";
        String file = base + suffix;
        for (int i = 1; !taken.add(file); i++) {
            file = base + "-" + i + suffix;
        }
        return file;
    }
}
