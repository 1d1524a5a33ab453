package dev.dualnet.server.http;

/**
 * Exact conversion of short JSON number literals such as {@code 0.0} or {@code 0.3294118}, the bulk
 * of an image tensor, without a general floating-point parser.
 *
 * <p>A literal with at most 15 significant digits, at most 22 fraction digits and no exponent is an
 * integer below 2^53 divided by an exact power of ten; one IEEE division of two exact doubles is
 * correctly rounded, so the result equals {@link Double#parseDouble}. Anything else reports
 * {@link #NOT_SIMPLE} and the caller takes the general path.
 */
final class DecimalLiterals {
    /** Returned when the literal is outside the fast path's exact range. */
    static final double NOT_SIMPLE = Double.NaN;

    private static final int MAX_DIGITS = 15;
    private static final double[] POWERS_OF_TEN = new double[23];

    static {
        double power = 1;
        for (int i = 0; i < POWERS_OF_TEN.length; i++) {
            POWERS_OF_TEN[i] = power;
            power *= 10;
        }
    }

    private DecimalLiterals() {}

    /** The literal's value, or {@link #NOT_SIMPLE}; {@code text[offset, offset + length)} is a JSON number. */
    static double parse(char[] text, int offset, int length) {
        int i = offset;
        int end = offset + length;
        boolean negative = i < end && text[i] == '-';
        if (negative) {
            i++;
        }
        long significand = 0;
        int digits = 0;
        int fractionDigits = -1;
        for (; i < end; i++) {
            char c = text[i];
            if (c >= '0' && c <= '9') {
                if (significand != 0 || c != '0') {
                    digits++;
                }
                significand = significand * 10 + (c - '0');
                if (fractionDigits >= 0) {
                    fractionDigits++;
                }
            } else if (c == '.' && fractionDigits < 0) {
                fractionDigits = 0;
            } else {
                return NOT_SIMPLE; // exponent
            }
            if (digits > MAX_DIGITS || fractionDigits >= POWERS_OF_TEN.length) {
                return NOT_SIMPLE;
            }
        }
        double value = fractionDigits > 0 ? significand / POWERS_OF_TEN[fractionDigits] : significand;
        return negative ? -value : value;
    }
}
