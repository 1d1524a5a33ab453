package dev.dualnet.exporter.graph;

import com.google.protobuf.ByteString;
import dev.dualnet.exporter.onnx.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** One number as the little-endian bytes of an ONNX element type, rounded as a cast would. */
final class Scalars {
    private Scalars() {}

    static ByteString littleEndian(int elementType, double value) {
        ByteBuffer bytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        switch (elementType) {
            case TensorProto.DataType.FLOAT_VALUE -> bytes.putFloat((float) value);
            case TensorProto.DataType.DOUBLE_VALUE -> bytes.putDouble(value);
            case TensorProto.DataType.FLOAT16_VALUE -> bytes.putShort(toHalf((float) value));
            case TensorProto.DataType.INT64_VALUE -> bytes.putLong((long) value);
            case TensorProto.DataType.INT32_VALUE -> bytes.putInt((int) value);
            case TensorProto.DataType.INT16_VALUE, TensorProto.DataType.UINT16_VALUE -> bytes.putShort((short) value);
            case TensorProto.DataType.INT8_VALUE, TensorProto.DataType.UINT8_VALUE -> bytes.put((byte) value);
            case TensorProto.DataType.BOOL_VALUE -> bytes.put((byte) (value != 0 ? 1 : 0));
            default -> throw new IllegalArgumentException("no scalar constant of ONNX type " + elementType);
        }
        bytes.flip();
        return ByteString.copyFrom(bytes);
    }

    /** IEEE 754 binary16 bits of a float, rounded to nearest even. */
    static short toHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7fffff;
        if (exponent == 0xff) {
            return (short) (sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0));
        }
        int halfExponent = exponent - 127 + 15;
        if (halfExponent >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (halfExponent <= 0) {
            if (halfExponent < -10) {
                return (short) sign;
            }
            int full = mantissa | 0x800000;
            int shift = 14 - halfExponent;
            int half = full >> shift;
            int remainder = full & ((1 << shift) - 1);
            int midpoint = 1 << (shift - 1);
            if (remainder > midpoint || (remainder == midpoint && (half & 1) == 1)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (halfExponent << 10) | (mantissa >> 13);
        int remainder = mantissa & 0x1fff;
        if (remainder > 0x1000 || (remainder == 0x1000 && (half & 1) == 1)) {
            half++;
        }
        return (short) (sign | half);
    }
}
