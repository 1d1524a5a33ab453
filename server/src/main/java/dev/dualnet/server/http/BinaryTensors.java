package dev.dualnet.server.http;

import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.InvalidInputException;
import java.nio.ByteBuffer;

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
            long expected = count * type.byteSize();
            if (bytes != expected) {
                throw ApiException.badRequest(where + ": " + SIZE + " is " + bytes + ", expected " + expected + " ("
                        + count + " " + type + " values of " + type.byteSize() + " bytes)");
            }
            if (bytes > end - position) {
                throw ApiException.badRequest(where + ": " + SIZE + " is " + bytes + " but only " + (end - position)
                        + " bytes of binary data are left in the body");
            }
            ByteBuffer in = ByteBuffer.wrap(body, position, (int) bytes);
            position += (int) bytes;
            try {
                return type.fromLittleEndian(in, (int) count);
            } catch (InvalidInputException e) {
                throw ApiException.badRequest(where + " " + e.getMessage());
            }
        }

        /** @throws ApiException 400 when bytes are left that no input declared */
        void requireConsumed() {
            if (position != end) {
                throw ApiException.badRequest((end - position) + " bytes of binary data follow the JSON that no input's "
                        + SIZE + " accounts for");
            }
        }
    }
}
