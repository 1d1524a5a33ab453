package dev.dualnet.junit;

import dev.dualnet.parity.ParityBundle;
import dev.dualnet.parity.TensorComparison;
import dev.dualnet.parity.Tolerance;
import dev.dualnet.parity.WorstElement;
import dev.dualnet.runtime.ElementType;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The texts of failed parity assertions: one line per failing output that names the output, its
 * shape, the worst element's coordinates and both values, so the reader needs no debugger.
 */
final class FailureMessages {
    private FailureMessages() {}

    /** The message for the failing outputs among the comparisons; the first line says how many failed. */
    static String differs(String subject, List<TensorComparison> comparisons, Tolerance tolerance) {
        List<String> failing = comparisons.stream().filter(c -> !c.passed())
                .map(c -> describe(c, tolerance)).toList();
        String head = "ONNX export of " + subject + " differs from DJL";
        if (failing.size() == 1 && comparisons.size() == 1) {
            return head + ": " + failing.get(0);
        }
        return head + " in " + failing.size() + " of " + comparisons.size() + " outputs:\n  "
                + String.join("\n  ", failing);
    }

    /** One failing output, as {@code output "logits" [4,10] at [2, 7]: DJL 0.812345, ONNX Runtime 0.8125 (...)}. */
    static String describe(TensorComparison c, Tolerance tolerance) {
        String output = "output \"" + c.name() + "\" " + shape(c.expectedShape());
        if (!c.present()) {
            return output + ": the ONNX model has no such output";
        }
        if (!c.shapeMatches()) {
            return output + ": ONNX Runtime gives shape " + shape(c.actualShape());
        }
        if (!c.dtypeMatches()) {
            return output + ": ONNX Runtime gives " + ParityBundle.dtypeName(c.actualType()) + " where DJL gives "
                    + ParityBundle.dtypeName(c.expectedType());
        }
        WorstElement worst = c.worst();
        double diff = Math.abs(worst.actual() - worst.expected());
        String text = output + " at " + Arrays.toString(worst.coordinates()) + ": DJL "
                + value(worst.expected(), c.expectedType()) + ", ONNX Runtime " + value(worst.actual(), c.actualType())
                + " (" + (Double.isNaN(diff) ? "NaN against a number" : "|diff| " + number(diff) + " " + beyond(tolerance))
                + "); " + c.outsideTolerance() + " of " + c.elements() + " elements outside tolerance";
        if (!Double.isNaN(diff) && !Double.isNaN(c.maxAbsError()) && c.maxAbsError() > diff) {
            // With a relative tolerance a larger difference on a large value can still pass; say how large.
            text += ", largest |diff| " + number(c.maxAbsError());
        }
        return text;
    }

    private static String beyond(Tolerance tolerance) {
        if (tolerance.rtol() == 0) {
            return "> atol " + number(tolerance.atol());
        }
        return "> atol " + number(tolerance.atol()) + " and > rtol " + number(tolerance.rtol()) + " × |DJL|";
    }

    /** A shape as {@code [4,10]}, set apart from coordinates, which read {@code [2, 7]}. */
    static String shape(long[] dims) {
        return Arrays.stream(dims).mapToObj(Long::toString).collect(Collectors.joining(",", "[", "]"));
    }

    /** An error or a tolerance: three significant digits, in scientific form below 0.001 ({@code 1.55e-04}, {@code 1e-05}). */
    static String number(double v) {
        if (v == 0 || !Double.isFinite(v)) {
            return v == 0 ? "0" : Double.toString(v);
        }
        String text = Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6
                ? String.format(Locale.ROOT, "%.2e", v)
                : String.format(Locale.ROOT, "%.3g", v);
        return trimZeros(text);
    }

    /** A compared value: integers whole, booleans as words, floats to six significant digits. */
    static String value(double v, ElementType type) {
        return switch (type) {
            case FP32, FP64, FP16 -> Double.isFinite(v) ? trimZeros(String.format(Locale.ROOT, "%.6g", v))
                    : Double.toString(v);
            case BOOL -> v != 0 ? "true" : "false";
            default -> Long.toString((long) v);
        };
    }

    /** Drops the zeros a fixed precision pads a mantissa with: 0.812500 to 0.8125, 1.00e-05 to 1e-05. */
    private static String trimZeros(String text) {
        int exponent = text.indexOf('e');
        String mantissa = exponent < 0 ? text : text.substring(0, exponent);
        String rest = exponent < 0 ? "" : text.substring(exponent);
        if (mantissa.contains(".")) {
            mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return mantissa + rest;
    }
}
