package dev.dualnet.exporter.lower;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import com.google.protobuf.ByteString;
import dev.dualnet.exporter.graph.TensorData;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;

/**
 * An initializer's data read from an engine array when the model is assembled. Arrays larger than
 * one Java buffer are read in slices.
 */
final class EngineTensorData implements TensorData {
    /** Elements per slice when streaming a large array. */
    private static final long SLICE_BYTES = 1L << 28;

    private final NDArray array;

    EngineTensorData(NDArray array) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("ONNX tensors are little-endian; this machine is not");
        }
        this.array = array;
    }

    @Override
    public long byteSize() {
        return array.size() * array.getDataType().getNumOfBytes();
    }

    @Override
    public ByteString bytes() {
        if (byteSize() > Integer.MAX_VALUE - 64) {
            throw new IllegalStateException("a tensor of " + byteSize() + " bytes needs external data");
        }
        return ByteString.copyFrom(array.toByteBuffer(true));
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        WritableByteChannel channel = Channels.newChannel(out);
        if (byteSize() <= SLICE_BYTES || array.getShape().dimension() == 0) {
            write(channel, array.toByteBuffer(true));
            return;
        }
        try (NDArray flat = array.reshape(-1)) {
            long elements = flat.size();
            long step = Math.max(1, SLICE_BYTES / array.getDataType().getNumOfBytes());
            for (long start = 0; start < elements; start += step) {
                try (NDArray slice = flat.get(new NDIndex().addSliceDim(start, Math.min(elements, start + step)))) {
                    write(channel, slice.toByteBuffer(true));
                }
            }
        }
    }

    private static void write(WritableByteChannel channel, ByteBuffer bytes) throws IOException {
        ByteBuffer view = bytes.duplicate();
        while (view.hasRemaining()) {
            channel.write(view);
        }
    }
}
