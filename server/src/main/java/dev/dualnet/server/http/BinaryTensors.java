package dev.dualnet.server.http;

import dev.dualnet.runtime.ElementType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Tensor data in the Open Inference Protocol's binary tensor data extension: little-endian,
 * row-major, each element in its type's native size (BOOL one byte, 0 or 1), carried in the HTTP
 * body after the JSON object. Triton's clients send and ask for this by default.
 */
final class BinaryTensors {
    /** HTTP header giving the length of the JSON object that starts the body. */
    static final String HEADER_LENGTH = "Inference-Header-Content-Length";
    /** Tensor parameter: the tensor's data is binary, this many bytes of it. */
    static final String SIZE = "binary_data_size";
    /** Requested-output parameter: return this output as binary data. */
    static final String OUTPUT = "binary_data";
    /** Request parameter: return every output as binary data unless it says otherwise. */
    static final String ALL_OUTPUTS = "binary_data_output";

    private BinaryTensors() {}

    /** Bytes one element of {@code type} takes. */
    static int elementSize(ElementType type) {
        return switch (type) {
            case FP64, INT64 -> 8;
            case FP32, INT32 -> 4;
            case INT16 -> 2;
            case INT8, UINT8, BOOL -> 1;
        };
    }

    /**
     * The binary part of a request body, handed out to the binary inputs in the order they appear.
     */
    static final class Section {
        private final byte[] body;
        private final int end;
        private int position;

        /** The bytes of {@code body} from {@code start} to its end. */
        Section(byte[] body, int start) {
            this.body = body;
            this.position = start;
            this.end = body.length;
        }

        /**
         * Reads the next {@code bytes} bytes as {@code count} elements of {@code type}.
         *
         * @throws ApiException 400 when the size does not match the shape, the body ends early, or a
         *     BOOL byte is neither 0 nor 1
         */
        Object next(String where, ElementType type, long count, long bytes) {
            long expected = count * elementSize(type);
            if (bytes != expected) {
                throw ApiException.badRequest(where + ": " + SIZE + " is " + bytes + ", expected " + expected + " ("
                        + count + " " + type + " values of " + elementSize(type) + " bytes)");
            }
            if (bytes > end - position) {
                throw ApiException.badRequest(where + ": " + SIZE + " is " + bytes + " but only " + (end - position)
                        + " bytes of binary data are left in the body");
            }
            ByteBuffer in = ByteBuffer.wrap(body, position, (int) bytes).slice().order(ByteOrder.LITTLE_ENDIAN);
            position += (int) bytes;
            int n = (int) count;
            return switch (type) {
                case FP32 -> {
                    float[] out = new float[n];
                    in.asFloatBuffer().get(out);
                    yield out;
                }
                case FP64 -> {
                    double[] out = new double[n];
                    in.asDoubleBuffer().get(out);
                    yield out;
                }
                case INT64 -> {
                    long[] out = new long[n];
                    in.asLongBuffer().get(out);
                    yield out;
                }
                case INT32 -> {
                    int[] out = new int[n];
                    in.asIntBuffer().get(out);
                    yield out;
                }
                case INT16 -> {
                    short[] out = new short[n];
                    in.asShortBuffer().get(out);
                    yield out;
                }
                case INT8, UINT8 -> {
                    byte[] out = new byte[n];
                    in.get(out);
                    yield out;
                }
                case BOOL -> {
                    boolean[] out = new boolean[n];
                    for (int i = 0; i < n; i++) {
                        byte b = in.get();
                        if (b != 0 && b != 1) {
                            throw ApiException.badRequest(where + " value " + i + " is byte " + b
                                    + ", expected 0 or 1 for BOOL");
                        }
                        out[i] = b == 1;
                    }
                    yield out;
                }
            };
        }

        /** @throws ApiException 400 when bytes are left that no input declared */
        void requireConsumed() {
            if (position != end) {
                throw ApiException.badRequest((end - position) + " bytes of binary data follow the JSON that no input's "
                        + SIZE + " accounts for");
            }
        }
    }

    /** The tensor's data as little-endian bytes. */
    static byte[] encode(ElementType type, Object data) {
        int n = java.lang.reflect.Array.getLength(data);
        ByteBuffer out = ByteBuffer.allocate(n * elementSize(type)).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case FP32 -> out.asFloatBuffer().put((float[]) data);
            case FP64 -> out.asDoubleBuffer().put((double[]) data);
            case INT64 -> out.asLongBuffer().put((long[]) data);
            case INT32 -> out.asIntBuffer().put((int[]) data);
            case INT16 -> out.asShortBuffer().put((short[]) data);
            case INT8, UINT8 -> out.put((byte[]) data);
            case BOOL -> {
                for (boolean b : (boolean[]) data) {
                    out.put((byte) (b ? 1 : 0));
                }
            }
        }
        return out.array();
    }
}
