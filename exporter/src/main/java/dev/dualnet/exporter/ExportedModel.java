package dev.dualnet.exporter;

import ai.djl.ndarray.NDManager;
import dev.dualnet.exporter.graph.ModelAssembly;
import dev.dualnet.exporter.onnx.proto.Onnx.ModelProto;
import dev.dualnet.exporter.trace.Trace;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A traced and lowered model, ready to be taken in memory or written to a file. It holds the
 * engine arrays of the model's constants until closed.
 */
public final class ExportedModel implements AutoCloseable {
    private final ModelAssembly assembly;
    private final List<Trace> traces;
    private final NDManager ownedManager;
    private final List<String> warnings;

    ExportedModel(ModelAssembly assembly, List<Trace> traces, NDManager ownedManager, List<String> warnings) {
        this.assembly = assembly;
        this.traces = traces;
        this.ownedManager = ownedManager;
        this.warnings = warnings;
    }

    /**
     * The model with its data inline.
     *
     * @throws OnnxExportException when the data exceeds one protobuf message (2 GiB); use {@link #write}
     */
    public ModelProto model() {
        return assembly.inline();
    }

    /**
     * The model with only its small initializers' values (under 1 KiB), whatever its size: its
     * graph, signature and small constants, for reading.
     */
    public ModelProto skeleton() {
        return assembly.skeleton();
    }

    /**
     * Writes the model atomically; when its data exceeds one protobuf message, the data goes to
     * {@code FILE.data} beside it, which ONNX Runtime reads from there.
     *
     * @return the external data file, or null when all data is inline
     */
    public Path write(Path file) throws IOException {
        return assembly.write(file, ModelAssembly.ExternalData.AUTO);
    }

    /** Writes the model with every tensor of 1 KiB or more in {@code FILE.data}. */
    public Path writeWithExternalData(Path file) throws IOException {
        return assembly.write(file, ModelAssembly.ExternalData.ALWAYS);
    }

    /** The bytes of all initializers. */
    public long initializerBytes() {
        return assembly.initializerBytes();
    }

    /** What the tracer noticed but did not fail on. */
    public List<String> warnings() {
        return warnings;
    }

    @Override
    public void close() {
        traces.forEach(Trace::close);
        if (ownedManager != null) {
            ownedManager.close();
        }
    }
}
