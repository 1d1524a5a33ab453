package dev.dualnet.packager;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/** DJL arrays and the runtime's named tensors, one into the other, through their raw little-endian bytes. */
public final class DjlTensors {
    private static final Map<DataType, ElementType> TYPES = Map.of(
            DataType.FLOAT32, ElementType.FP32,
            DataType.FLOAT64, ElementType.FP64,
            DataType.FLOAT16, ElementType.FP16,
            DataType.INT8, ElementType.INT8,
            DataType.UINT8, ElementType.UINT8,
            DataType.INT16, ElementType.INT16,
            DataType.INT32, ElementType.INT32,
            DataType.INT64, ElementType.INT64,
            DataType.BOOLEAN, ElementType.BOOL);

    private DjlTensors() {}

    /**
     * The runtime's element type of a DJL type.
     *
     * @throws IllegalArgumentException for a type the runtime does not carry
     */
    public static ElementType elementType(DataType type) {
        ElementType element = TYPES.get(type);
        if (element == null) {
            throw new IllegalArgumentException("tensors of DJL type " + type + " are not supported here");
        }
        return element;
    }

    /** The DJL type of a runtime element type. */
    public static DataType dataType(ElementType type) {
        for (Map.Entry<DataType, ElementType> entry : TYPES.entrySet()) {
            if (entry.getValue() == type) {
                return entry.getKey();
            }
        }
        throw new IllegalArgumentException("no DJL type for " + type);
    }

    /** A copy of an array's data as a named tensor. */
    public static NamedTensor named(String name, NDArray array) {
        ElementType type = elementType(array.getDataType());
        ByteBuffer bytes = array.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        Object data = type.fromLittleEndian(bytes, Math.toIntExact(array.size()));
        return new NamedTensor(name, type, array.getShape().getShape(), data);
    }

    /** A named tensor as an array of the manager. */
    public static NDArray array(NamedTensor tensor, NDManager manager) {
        byte[] bytes = tensor.type().toLittleEndian(tensor.data());
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length).order(ByteOrder.nativeOrder());
        buffer.put(bytes).rewind();
        return manager.create(buffer, new Shape(tensor.shape()), dataType(tensor.type()));
    }
}
