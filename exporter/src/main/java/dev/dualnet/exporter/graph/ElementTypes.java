package dev.dualnet.exporter.graph;

import ai.djl.ndarray.types.DataType;
import dev.dualnet.exporter.onnx.proto.Onnx.TensorProto;

/** DJL element types and their ONNX {@code TensorProto.DataType} numbers. */
public final class ElementTypes {
    private ElementTypes() {}

    /**
     * @throws IllegalArgumentException for a type ONNX tensors cannot hold here (strings, unknown)
     */
    public static int onnx(DataType type) {
        return switch (type) {
            case FLOAT32 -> TensorProto.DataType.FLOAT_VALUE;
            case FLOAT64 -> TensorProto.DataType.DOUBLE_VALUE;
            case FLOAT16 -> TensorProto.DataType.FLOAT16_VALUE;
            case BFLOAT16 -> TensorProto.DataType.BFLOAT16_VALUE;
            case UINT8 -> TensorProto.DataType.UINT8_VALUE;
            case INT8 -> TensorProto.DataType.INT8_VALUE;
            case INT16 -> TensorProto.DataType.INT16_VALUE;
            case UINT16 -> TensorProto.DataType.UINT16_VALUE;
            case INT32 -> TensorProto.DataType.INT32_VALUE;
            case UINT32 -> TensorProto.DataType.UINT32_VALUE;
            case INT64 -> TensorProto.DataType.INT64_VALUE;
            case UINT64 -> TensorProto.DataType.UINT64_VALUE;
            case BOOLEAN -> TensorProto.DataType.BOOL_VALUE;
            case COMPLEX64 -> TensorProto.DataType.COMPLEX64_VALUE;
            default -> throw new IllegalArgumentException("DJL type " + type + " has no ONNX tensor type");
        };
    }

    /** Bytes per element of a DJL type. */
    public static int bytes(DataType type) {
        return type.getNumOfBytes();
    }
}
