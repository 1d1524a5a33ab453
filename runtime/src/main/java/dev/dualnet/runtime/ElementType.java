package dev.dualnet.runtime;

import ai.onnxruntime.OnnxJavaType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * Tensor element types the runtime moves in and out, with their Open Inference Protocol names
 * and the Java array that holds them. FP16 elements are the raw IEEE 754 binary16 bits in a
 * {@code short[]} ({@link Float16} converts them), since Java has no half-precision type.
 */
public enum ElementType {
    FP32(OnnxJavaType.FLOAT, float[].class),
    FP64(OnnxJavaType.DOUBLE, double[].class),
    FP16(OnnxJavaType.FLOAT16, short[].class),
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

    /** Bytes one element takes in raw tensor data (BOOL: one byte, 0 or 1). */
    public int byteSize() {
        return switch (this) {
            case FP64, INT64 -> 8;
            case FP32, INT32 -> 4;
            case FP16, INT16 -> 2;
            case INT8, UINT8, BOOL -> 1;
        };
    }

    /**
     * Reads {@code count} elements of raw little-endian, row-major data, as the Open Inference
     * Protocol's binary tensors and parity bundles hold them.
     *
     * @param in positioned at the first element; read past the last one
     * @return a new array of {@link #arrayType()}
     * @throws InvalidInputException when a BOOL byte is neither 0 nor 1
     */
    public Object fromLittleEndian(ByteBuffer in, int count) {
        ByteBuffer data = in.slice().order(ByteOrder.LITTLE_ENDIAN);
        in.position(in.position() + count * byteSize());
        switch (this) {
            case FP32 -> {
                float[] out = new float[count];
                data.asFloatBuffer().get(out);
                return out;
            }
            case FP64 -> {
                double[] out = new double[count];
                data.asDoubleBuffer().get(out);
                return out;
            }
            case INT64 -> {
                long[] out = new long[count];
                data.asLongBuffer().get(out);
                return out;
            }
            case INT32 -> {
                int[] out = new int[count];
                data.asIntBuffer().get(out);
                return out;
            }
            case FP16, INT16 -> {
                short[] out = new short[count];
                data.asShortBuffer().get(out);
                return out;
            }
            case INT8, UINT8 -> {
                byte[] out = new byte[count];
                data.get(out);
                return out;
            }
            default -> {
                boolean[] out = new boolean[count];
                for (int i = 0; i < count; i++) {
                    byte b = data.get();
                    if (b != 0 && b != 1) {
                        throw new InvalidInputException("value " + i + " is byte " + b + ", expected 0 or 1 for BOOL");
                    }
                    out[i] = b == 1;
                }
                return out;
            }
        }
    }

    /** The elements of {@code data}, an array of {@link #arrayType()}, as raw little-endian bytes. */
    public byte[] toLittleEndian(Object data) {
        int n = java.lang.reflect.Array.getLength(data);
        ByteBuffer out = ByteBuffer.allocate(n * byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        switch (this) {
            case FP32 -> out.asFloatBuffer().put((float[]) data);
            case FP64 -> out.asDoubleBuffer().put((double[]) data);
            case INT64 -> out.asLongBuffer().put((long[]) data);
            case INT32 -> out.asIntBuffer().put((int[]) data);
            case FP16, INT16 -> out.asShortBuffer().put((short[]) data);
            case INT8, UINT8 -> out.put((byte[]) data);
            case BOOL -> {
                for (boolean b : (boolean[]) data) {
                    out.put((byte) (b ? 1 : 0));
                }
            }
        }
        return out.array();
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
