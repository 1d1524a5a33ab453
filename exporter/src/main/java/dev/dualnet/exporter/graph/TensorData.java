package dev.dualnet.exporter.graph;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The little-endian bytes of an initializer, read when the model is assembled: inline in the model,
 * or streamed into its external data file when the model is too large for one protobuf message.
 */
public interface TensorData {
    /** The number of bytes. */
    long byteSize();

    /**
     * The bytes as one protobuf value.
     *
     * @throws IllegalStateException when they are more than one value can hold (2 GiB)
     */
    ByteString bytes();

    /** Writes the bytes. */
    void writeTo(OutputStream out) throws IOException;

    /** Bytes already in memory. */
    static TensorData of(ByteString bytes) {
        return new TensorData() {
            @Override
            public long byteSize() {
                return bytes.size();
            }

            @Override
            public ByteString bytes() {
                return bytes;
            }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                bytes.writeTo(out);
            }
        };
    }
}
