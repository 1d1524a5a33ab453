package dev.dualnet.benchmarks.server;

import java.util.Arrays;
import java.util.Locale;

/**
 * Latencies of one kind of answer, kept in microseconds in a growable array and sorted when a
 * quantile is asked for. Quantiles are nearest-rank, in milliseconds, NaN when there are none.
 */
final class LatencySamples {
    private long[] micros = new long[1024];
    private int count;
    private boolean sorted = true;

    /** Adds one latency given in nanoseconds (kept to the microsecond). */
    void add(long nanos) {
        addMicros(nanos / 1_000);
    }

    void addAll(LatencySamples other) {
        for (int i = 0; i < other.count; i++) {
            addMicros(other.micros[i]);
        }
    }

    private void addMicros(long value) {
        if (count == micros.length) {
            micros = Arrays.copyOf(micros, count * 2);
        }
        micros[count++] = value;
        sorted = false;
    }

    int count() {
        return count;
    }

    /** The nearest-rank {@code p}th percentile (0 to 100) in milliseconds; NaN when empty. */
    double quantileMs(double p) {
        if (count == 0) {
            return Double.NaN;
        }
        if (!sorted) {
            Arrays.sort(micros, 0, count);
            sorted = true;
        }
        return nearestRank(micros, count, p) / 1000.0;
    }

    /** {@link #quantileMs} as the output lines write it. */
    String ms(double p) {
        return format(quantileMs(p));
    }

    /** Milliseconds with one decimal, "-" for NaN (no samples). */
    static String format(double ms) {
        return Double.isNaN(ms) ? "-" : String.format(Locale.ROOT, "%.1f", ms);
    }

    /** Nearest-rank {@code p}th percentile of the first {@code count} (at least 1) of {@code sorted}. */
    static long nearestRank(long[] sorted, int count, double p) {
        int rank = (int) Math.ceil(p / 100.0 * count);
        return sorted[Math.max(0, Math.min(count - 1, rank - 1))];
    }
}
