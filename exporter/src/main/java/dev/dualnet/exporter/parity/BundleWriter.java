package dev.dualnet.exporter.parity;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dualnet.runtime.parity.ParityBundle;
import dev.dualnet.runtime.parity.Tolerance;
import dev.dualnet.trainer.util.AtomicFiles;
import dev.dualnet.trainer.util.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a parity bundle (see {@link ParityBundle}): the inputs and the training engine's outputs
 * as raw little-endian files plus a manifest. The bundle is built in a temporary directory and then
 * moved into place, so readers never see half of one.
 */
public final class BundleWriter {
    public static final double ATOL = Tolerance.DEFAULT;
    public static final double RTOL = Tolerance.DEFAULT;

    private BundleWriter() {}

    /**
     * @param dir the bundle directory to create or replace
     * @param source facts recorded in the manifest (engine, data, seeds)
     * @throws IOException if writing fails; an existing bundle is then left as it was
     */
    public static void write(Path dir, PairedSamples samples, EngineOutputs outputs, Map<String, Object> source)
            throws IOException {
        int n = samples.size();
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path staging = Files.createTempDirectory(parent, ".parity-");
        try {
            ObjectNode manifest = Json.mapper().createObjectNode();
            manifest.put("format", ParityBundle.FORMAT);
            manifest.put("description", "Fixed dualnet inputs and the training engine's outputs for them. Each tensor "
                    + "is a raw little-endian row-major file; a runtime passes if every output element is within "
                    + "atol or rtol of the expected value.");
            manifest.put("count", n);
            ObjectNode tolerance = manifest.putObject("tolerance");
            tolerance.put("atol", ATOL);
            tolerance.put("rtol", RTOL);
            tolerance.put("rule", "an element fails only if |actual - expected| > atol and > rtol * |expected|");
            ArrayNode inputs = manifest.putArray("inputs");
            ArrayNode outs = manifest.putArray("outputs");
            inputs.add(floats(staging, "image", samples.images(), new long[] {n, 1, 28, 28}));
            inputs.add(longs(staging, "number", samples.numbers(), new long[] {n}));
            outs.add(floats(staging, "digit", outputs.digit(), new long[] {n, 10}));
            outs.add(floats(staging, "sum", outputs.sum(), new long[] {n, 19}));
            manifest.set("source", Json.mapper().valueToTree(source));
            Files.writeString(staging.resolve(ParityBundle.MANIFEST), Json.writer().writeValueAsString(manifest));
            AtomicFiles.replaceDirectory(staging, dir);
        } finally {
            AtomicFiles.deleteRecursively(staging);
        }
    }

    private static ObjectNode floats(Path dir, String name, float[] data, long[] shape) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(data);
        return tensor(dir, name, "float32", ".f32", bytes.array(), shape);
    }

    private static ObjectNode longs(Path dir, String name, long[] data, long[] shape) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(data.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(data);
        return tensor(dir, name, "int64", ".i64", bytes.array(), shape);
    }

    private static ObjectNode tensor(Path dir, String name, String dtype, String suffix, byte[] bytes, long[] shape)
            throws IOException {
        Files.write(dir.resolve(name + suffix), bytes);
        ObjectNode node = Json.mapper().createObjectNode();
        node.put("name", name);
        node.put("file", name + suffix);
        node.put("dtype", dtype);
        ArrayNode dims = node.putArray("shape");
        for (long dim : shape) {
            dims.add(dim);
        }
        return node;
    }

}
