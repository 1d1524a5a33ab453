package dev.dualnet.runtime;

import java.math.BigDecimal;
import java.util.function.Supplier;

/**
 * IEEE 754 binary16 (half precision) values held as their raw bits in a {@code short}, as
 * {@link ElementType#FP16} tensors hold them. Java 17 has no half type and no
 * {@code Float.float16ToFloat}, so the conversions live here: to float exactly (every binary16
 * value is a float), and from float or double rounding to the nearest binary16, ties to even.
 */
public final class Float16 {
    /** The largest finite binary16 value, 65504. */
    public static final float MAX_VALUE = 65504f;

    private static final int EXPONENT_MASK = 0x7c00;
    private static final int SIGNIFICAND_MASK = 0x03ff;
    /** The quiet bit of a binary16 NaN: a NaN whose payload would round away keeps this one. */
    private static final int QUIET_NAN_BIT = 0x0200;

    private Float16() {}

    /** The exact float value of binary16 bits; NaN keeps its sign and payload. */
    public static float toFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h & EXPONENT_MASK) >>> 10;
        int significand = h & SIGNIFICAND_MASK;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | significand << 13);
        }
        if (exponent == 0) {
            // Zero or subnormal: significand * 2^-24, exact in a float.
            float magnitude = significand * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        // Rebias the exponent from 15 to 127 and widen the significand from 10 to 23 bits.
        return Float.intBitsToFloat(sign | (exponent + 112) << 23 | significand << 13);
    }

    /** The binary16 nearest to {@code value}, ties to even; beyond the range it is an infinity. */
    public static short fromFloat(float value) {
        // A float widens to a double exactly, so one rounding step serves both.
        return fromDouble(value);
    }

    /**
     * The binary16 nearest to {@code value}, ties to even, rounded once: going through a float
     * first would round twice and could land on the wrong side of a tie. Values of magnitude
     * 65520 and more become infinities, as IEEE 754 rounding says.
     */
    public static short fromDouble(double value) {
        long bits = Double.doubleToRawLongBits(value);
        int sign = (int) (bits >>> 48) & 0x8000;
        int exponent = (int) (bits >>> 52) & 0x7ff;
        long significand = bits & 0xfffffffffffffL;
        if (exponent == 0x7ff) {
            if (significand == 0) {
                return (short) (sign | EXPONENT_MASK);
            }
            int payload = (int) (significand >>> 42);
            return (short) (sign | EXPONENT_MASK | (payload == 0 ? QUIET_NAN_BIT : payload));
        }
        if (exponent == 0) {
            return (short) sign; // a double subnormal is far below half of binary16's smallest value
        }
        int halfExponent = exponent - 1023 + 15;
        if (halfExponent >= 0x1f) {
            return (short) (sign | EXPONENT_MASK);
        }
        long full = significand | 1L << 52;
        // A normal result keeps 11 of the 53 significand bits; a subnormal one fewer, the further below.
        int shift = halfExponent >= 1 ? 42 : 43 - halfExponent;
        if (shift > 53) {
            return (short) sign; // less than half of the smallest subnormal: rounds to zero
        }
        long kept = full >>> shift;
        long rest = full & ((1L << shift) - 1);
        long half = 1L << (shift - 1);
        if (rest > half || (rest == half && (kept & 1) == 1)) {
            kept++;
        }
        // kept holds the implicit bit for a normal result, so the exponent field is one less; a
        // carry out of the significand then moves into the exponent, up to infinity at the top.
        int magnitude = halfExponent >= 1 ? ((halfExponent - 1) << 10) + (int) kept : (int) kept;
        return (short) (sign | magnitude);
    }

    /**
     * The binary16 nearest to a decimal number, given the double nearest to it (as a JSON parser
     * returns it) and, on demand, its exact value. Going through the double rounds twice, which is
     * wrong only where the double lands exactly on a tie between two binary16 values while the
     * decimal lies to one side of it; there the exact value decides, so the result is rounded once.
     */
    public static short fromDecimal(double nearest, Supplier<BigDecimal> exact) {
        short rounded = fromDouble(nearest);
        if (!Double.isFinite(nearest) || nearest == 0
                || fromDouble(Math.nextDown(nearest)) == fromDouble(Math.nextUp(nearest))) {
            return rounded; // no tie: every value within a double's rounding of it gives the same binary16
        }
        int side = exact.get().compareTo(new BigDecimal(nearest));
        return side == 0 ? rounded : fromDouble(side > 0 ? Math.nextUp(nearest) : Math.nextDown(nearest));
    }

    /** Whether the bits are a finite binary16 value (not an infinity, not NaN). */
    public static boolean isFinite(short bits) {
        return (bits & EXPONENT_MASK) != EXPONENT_MASK;
    }
}
