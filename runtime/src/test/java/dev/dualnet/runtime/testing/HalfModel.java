package dev.dualnet.runtime.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A tiny ONNX model that takes and returns float16, written field by field in the ONNX protobuf
 * wire format: the serving side has no ONNX protobuf classes and no Python, and a model built
 * here needs no committed binary.
 *
 * <pre>
 *   x      float16 [N, 4]
 *   wide   float32 [N, 4] = Cast(x, float)                         exact: every binary16 is a float
 *   tripled float16 [N, 4] = Cast(Mul(Cast(x, float), 3), float16)  ONNX Runtime's own rounding to binary16
 * </pre>
 *
 * Tripling in float is exact for a binary16 value (11 significand bits times 3 fit in 24), so
 * {@code tripled} shows how ONNX Runtime rounds a float to binary16 and {@code wide} how it widens one.
 */
public final class HalfModel {
    public static final String INPUT = "x";
    public static final String WIDE = "wide";
    public static final String TRIPLED = "tripled";
    public static final int COLUMNS = 4;

    // ONNX's TensorProto.DataType values, and AttributeProto.AttributeType INT.
    private static final int FLOAT = 1;
    private static final int FLOAT16 = 10;
    private static final int ATTRIBUTE_INT = 2;

    private HalfModel() {}

    /** The model file's bytes: ONNX IR version 8, opset 17. */
    public static byte[] bytes() {
        Message graph = new Message()
                .message(1, cast("cast_in", INPUT, WIDE, FLOAT))
                .message(1, node("mul", "Mul", new String[] {WIDE, "three"}, "product"))
                .message(1, cast("cast_out", "product", TRIPLED, FLOAT16))
                .string(2, "half")
                .message(5, new Message().int32(2, FLOAT).string(8, "three")
                        .bytes(9, ByteString.copyFrom(new byte[] {0, 0, 0x40, 0x40}))) // 3.0f, little-endian
                .message(11, valueInfo(INPUT, FLOAT16))
                .message(12, valueInfo(WIDE, FLOAT))
                .message(12, valueInfo(TRIPLED, FLOAT16));
        return new Message()
                .int64(1, 8)
                .string(2, "dualnet-tests")
                .message(7, graph)
                .message(8, new Message().string(1, "").int64(2, 17))
                .toByteString().toByteArray();
    }

    /**
     * Writes the model as a repository entry {@code repository/name/1/model.onnx}, with a
     * config.pbtxt when {@code config} is not null.
     *
     * @return the entry directory
     */
    public static Path writeEntry(Path repository, String name, String config) throws IOException {
        Path entry = repository.resolve(name);
        Files.createDirectories(entry.resolve("1"));
        Files.write(entry.resolve("1/model.onnx"), bytes());
        if (config != null) {
            Files.writeString(entry.resolve("config.pbtxt"), config);
        }
        return entry;
    }

    /** A config.pbtxt for the entry: batched, every tensor declared with its Triton type. */
    public static String config(String name) {
        return "name: \"" + name + "\"\nplatform: \"onnxruntime_onnx\"\nmax_batch_size: 8\n"
                + "input [ { name: \"x\" data_type: TYPE_FP16 dims: [ 4 ] } ]\n"
                + "output [ { name: \"wide\" data_type: TYPE_FP32 dims: [ 4 ] },"
                + " { name: \"tripled\" data_type: TYPE_FP16 dims: [ 4 ] } ]\n";
    }

    private static Message cast(String name, String input, String output, int to) {
        return node(name, "Cast", new String[] {input}, output)
                .message(5, new Message().string(1, "to").int64(3, to).int32(20, ATTRIBUTE_INT));
    }

    private static Message node(String name, String op, String[] inputs, String output) {
        Message node = new Message();
        for (String input : inputs) {
            node.string(1, input);
        }
        return node.string(2, output).string(3, name).string(4, op);
    }

    /** A ValueInfoProto of a tensor [N, 4] with a symbolic batch dimension. */
    private static Message valueInfo(String name, int elementType) {
        Message shape = new Message()
                .message(1, new Message().string(2, "N"))
                .message(1, new Message().int64(1, COLUMNS));
        Message tensorType = new Message().int32(1, elementType).message(2, shape);
        return new Message().string(1, name).message(2, new Message().message(1, tensorType));
    }

    /** One protobuf message, its fields written in the order they are added. */
    private static final class Message {
        private final ByteString.Output bytes = ByteString.newOutput();
        private final CodedOutputStream out = CodedOutputStream.newInstance(bytes);

        Message string(int field, String value) {
            return write(() -> out.writeString(field, value));
        }

        Message bytes(int field, ByteString value) {
            return write(() -> out.writeBytes(field, value));
        }

        Message int32(int field, int value) {
            return write(() -> out.writeInt32(field, value));
        }

        Message int64(int field, long value) {
            return write(() -> out.writeInt64(field, value));
        }

        Message message(int field, Message value) {
            return bytes(field, value.toByteString());
        }

        ByteString toByteString() {
            write(out::flush);
            return bytes.toByteString();
        }

        private Message write(Field field) {
            try {
                field.write();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        @FunctionalInterface
        private interface Field {
            void write() throws IOException;
        }
    }
}
