package dev.dualnet.runtime;

import ai.onnxruntime.OnnxJavaType;
import java.util.Locale;

/**
 * Tensor element types the runtime moves in and out, with their Open Inference Protocol names
 * and the Java array that holds them.
 */
public enum ElementType {
    FP32(OnnxJavaType.FLOAT, float[].class),
    FP64(OnnxJavaType.DOUBLE, double[].class),
    INT8(OnnxJavaType.INT8, byte[].class),
    UINT8(OnnxJavaType.UINT8, byte[].class),
    INT16(OnnxJavaType.INT16, short[].class),
    INT32(OnnxJavaType.INT32, int[].class),
    INT64(OnnxJavaType.INT64, long[].class),
    BOOL(OnnxJavaType.BOOL, boolean[].class);

    private final OnnxJavaType onnxType;
    private final Class<?> arrayType;

    ElementType(OnnxJavaType onnxType, Class<?> arrayType) {
        this.onnxType = onnxType;
        this.arrayType = arrayType;
    }

    OnnxJavaType onnxType() {
        return onnxType;
    }

    /** The Java array class holding elements of this type. */
    public Class<?> arrayType() {
        return arrayType;
    }

    /** The Open Inference Protocol datatype name, e.g. "FP32". */
    public String protocolName() {
        return name();
    }

    /**
     * @throws InvalidInputException naming the supported types when {@code name} is not one
     */
    public static ElementType fromProtocolName(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new InvalidInputException("unsupported datatype '" + name + "', expected one of "
                    + java.util.Arrays.toString(values()));
        }
    }

    /** @return the type, or null when ONNX Runtime reports one the runtime does not carry */
    static ElementType fromOnnx(OnnxJavaType type) {
        for (ElementType element : values()) {
            if (element.onnxType == type) {
                return element;
            }
        }
        return null;
    }
}
