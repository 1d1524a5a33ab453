package dev.dualnet.exporter.graph;

import com.google.protobuf.CodedOutputStream;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.onnx.proto.Onnx.GraphProto;
import dev.dualnet.exporter.onnx.proto.Onnx.ModelProto;
import dev.dualnet.exporter.onnx.proto.Onnx.OperatorSetIdProto;
import dev.dualnet.exporter.onnx.proto.Onnx.StringStringEntryProto;
import dev.dualnet.exporter.onnx.proto.Onnx.TensorProto;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * Puts a built graph into an ONNX model: inline, or, when the initializers are too large for one
 * protobuf message (2 GiB), with their data in an external file beside the model
 * ({@code model.onnx.data}), as the ONNX external-data format describes.
 */
public final class ModelAssembly {
    /** IR version 8: opsets up to 18 and external data. */
    public static final int IR_VERSION = 8;
    /** Initializer bytes above which {@link ExternalData#AUTO} moves data out of the model file. */
    public static final long INLINE_LIMIT = 1_900_000_000L;
    /** Tensors smaller than this stay inline even when the rest goes to the external file. */
    static final long SMALL_TENSOR_BYTES = 1024;
    /** External tensors start on page boundaries, so runtimes can map them. */
    static final long ALIGNMENT = 4096;

    /** Where initializer data goes when a model is written to a file. */
    public enum ExternalData {
        /** Inline when it fits in one protobuf message, else external. */
        AUTO,
        /** External for every tensor of {@value #SMALL_TENSOR_BYTES} bytes or more. */
        ALWAYS
    }

    /** What the model says about itself. */
    public record Header(int opset, String producerName, String producerVersion, String docString,
            Map<String, String> metadata) {}

    private final GraphBuilder graph;
    private final Header header;
    private final String graphDocString;

    public ModelAssembly(GraphBuilder graph, Header header, String graphDocString) {
        this.graph = graph;
        this.header = header;
        this.graphDocString = graphDocString;
    }

    /** The sum of all initializer bytes. */
    public long initializerBytes() {
        return graph.initializers().stream().mapToLong(i -> i.data().byteSize()).sum();
    }

    /**
     * The model with every initializer inline.
     *
     * @throws OnnxExportException when the initializers exceed one protobuf message; write the
     *     model to a file instead, which puts them in external data
     */
    public ModelProto inline() {
        long bytes = initializerBytes();
        if (bytes > INLINE_LIMIT) {
            throw OnnxExportException.invalidRequest("the model's tensors take " + bytes + " bytes, more than one"
                    + " ONNX protobuf can hold (2 GiB); write it to a file, which puts them in external data");
        }
        GraphProto.Builder built = graph.build(graphDocString);
        for (GraphBuilder.Initializer initializer : graph.initializers()) {
            built.addInitializer(tensor(initializer).setRawData(initializer.data().bytes()));
        }
        return model(built);
    }

    /**
     * The model without its large data: every initializer keeps its name, type and dimensions,
     * and only those below {@value #SMALL_TENSOR_BYTES} bytes keep their values. For reading the
     * graph (its signature, its small constants) whatever the model's size.
     */
    public ModelProto skeleton() {
        GraphProto.Builder built = graph.build(graphDocString);
        for (GraphBuilder.Initializer initializer : graph.initializers()) {
            TensorProto.Builder tensor = tensor(initializer);
            if (initializer.data().byteSize() < SMALL_TENSOR_BYTES) {
                tensor.setRawData(initializer.data().bytes());
            }
            built.addInitializer(tensor);
        }
        return model(built);
    }

    /**
     * Writes the model to {@code file} atomically; external data, when there is any, goes to
     * {@code file.data} first.
     *
     * @return the external data file, or null when all data is inline
     */
    public Path write(Path file, ExternalData policy) throws IOException {
        if (policy == ExternalData.AUTO && initializerBytes() <= INLINE_LIMIT) {
            atomically(file, this::writeInline);
            return null;
        }
        Path dataFile = file.resolveSibling(file.getFileName() + ".data");
        String location = dataFile.getFileName().toString();
        GraphProto.Builder built = graph.build(graphDocString);
        List<GraphBuilder.Initializer> initializers = graph.initializers();
        long[] offsets = new long[initializers.size()];
        atomically(dataFile, out -> {
            long position = 0;
            for (int i = 0; i < initializers.size(); i++) {
                GraphBuilder.Initializer initializer = initializers.get(i);
                if (initializer.data().byteSize() < SMALL_TENSOR_BYTES) {
                    offsets[i] = -1;
                    continue;
                }
                long padding = (ALIGNMENT - position % ALIGNMENT) % ALIGNMENT;
                out.write(new byte[(int) padding]);
                position += padding;
                offsets[i] = position;
                initializer.data().writeTo(out);
                position += initializer.data().byteSize();
            }
        });
        for (int i = 0; i < initializers.size(); i++) {
            GraphBuilder.Initializer initializer = initializers.get(i);
            TensorProto.Builder tensor = tensor(initializer);
            if (offsets[i] < 0) {
                tensor.setRawData(initializer.data().bytes());
            } else {
                tensor.setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(entry("location", location))
                        .addExternalData(entry("offset", Long.toString(offsets[i])))
                        .addExternalData(entry("length", Long.toString(initializer.data().byteSize())));
            }
            built.addInitializer(tensor);
        }
        ModelProto model = model(built);
        atomically(file, model::writeTo);
        return dataFile;
    }

    /**
     * Writes the model with its data inline, streaming each initializer's bytes from its source
     * rather than holding the whole message in memory. The graph comes after the model's other
     * fields and the initializers after the graph's other fields; protobuf readers take fields in
     * any order.
     */
    private void writeInline(OutputStream out) throws IOException {
        GraphProto graphWithoutData = graph.build(graphDocString).build();
        List<GraphBuilder.Initializer> initializers = graph.initializers();
        List<TensorProto> headers = new java.util.ArrayList<>(initializers.size());
        long graphSize = graphWithoutData.getSerializedSize();
        for (GraphBuilder.Initializer initializer : initializers) {
            TensorProto header = tensor(initializer).build();
            headers.add(header);
            long tensorSize = tensorSize(header, initializer.data().byteSize());
            graphSize += CodedOutputStream.computeTagSize(GraphProto.INITIALIZER_FIELD_NUMBER)
                    + CodedOutputStream.computeUInt64SizeNoTag(tensorSize) + tensorSize;
        }
        CodedOutputStream coded = CodedOutputStream.newInstance(out, 1 << 16);
        model(GraphProto.newBuilder()).toBuilder().clearGraph().build().writeTo(coded);
        coded.writeTag(ModelProto.GRAPH_FIELD_NUMBER, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
        coded.writeUInt64NoTag(graphSize);
        graphWithoutData.writeTo(coded);
        for (int i = 0; i < initializers.size(); i++) {
            TensorProto header = headers.get(i);
            long bytes = initializers.get(i).data().byteSize();
            coded.writeTag(GraphProto.INITIALIZER_FIELD_NUMBER, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
            coded.writeUInt64NoTag(tensorSize(header, bytes));
            header.writeTo(coded);
            coded.writeTag(TensorProto.RAW_DATA_FIELD_NUMBER, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
            coded.writeUInt64NoTag(bytes);
            coded.flush();
            initializers.get(i).data().writeTo(out);
        }
        coded.flush();
    }

    private static long tensorSize(TensorProto header, long dataBytes) {
        return header.getSerializedSize() + CodedOutputStream.computeTagSize(TensorProto.RAW_DATA_FIELD_NUMBER)
                + CodedOutputStream.computeUInt64SizeNoTag(dataBytes) + dataBytes;
    }

    private static TensorProto.Builder tensor(GraphBuilder.Initializer initializer) {
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(initializer.name())
                .setDataType(initializer.elementType());
        for (long dim : initializer.dims()) {
            tensor.addDims(dim);
        }
        return tensor;
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    private ModelProto model(GraphProto.Builder built) {
        ModelProto.Builder model = ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(header.opset()))
                .setProducerName(header.producerName())
                .setProducerVersion(header.producerVersion())
                .setModelVersion(1)
                .setGraph(built);
        if (!header.docString().isEmpty()) {
            model.setDocString(header.docString());
        }
        header.metadata().forEach((key, value) -> model.addMetadataProps(entry(key, value)));
        return model.build();
    }

    @FunctionalInterface
    private interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes through a temporary sibling that is forced to disk and renamed over the target. */
    private static void atomically(Path target, Content content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE);
                    OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16)) {
                content.writeTo(out);
                out.flush();
                channel.force(true);
            }
            if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                // Temporary files start owner-only; a published model is readable like any other output.
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
