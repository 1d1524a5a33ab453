package dev.dualnet.exporter.lower;

import dev.dualnet.exporter.Dim;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a number seen at two trace sizes in terms of the dynamic dimensions: the number that is
 * {@code a} when the dimensions have their first sizes and {@code b} at their second is
 * {@code k × (product of some dimensions)}. Distinct trace sizes that share no factor make the
 * answer unique; a number that fits no such product, or more than one, has no answer.
 */
final class DimSolver {
    private final List<String> symbols;
    private final long[] first;
    private final long[] second;

    DimSolver(Map<String, long[]> sizes) {
        this.symbols = new ArrayList<>(sizes.keySet());
        this.first = new long[symbols.size()];
        this.second = new long[symbols.size()];
        for (int i = 0; i < symbols.size(); i++) {
            long[] pair = sizes.get(symbols.get(i));
            first[i] = pair[0];
            second[i] = pair[1];
        }
    }

    /**
     * @return the dimension, fixed when {@code a == b}; null when no product of the dynamic
     *     dimensions, or more than one, explains the two values
     */
    Dim solve(long a, long b) {
        if (a == b) {
            return a >= 0 ? Dim.of(a) : new Dim(a, List.of());
        }
        Dim found = null;
        int subsets = 1 << symbols.size();
        for (int mask = 1; mask < subsets; mask++) {
            long productA = 1;
            long productB = 1;
            List<String> chosen = new ArrayList<>();
            for (int i = 0; i < symbols.size(); i++) {
                if ((mask & (1 << i)) != 0) {
                    productA *= first[i];
                    productB *= second[i];
                    chosen.add(symbols.get(i));
                }
            }
            if (a % productA == 0 && b % productB == 0 && a / productA == b / productB && a / productA != 0) {
                if (found != null) {
                    return null;
                }
                found = new Dim(a / productA, chosen);
            }
        }
        return found;
    }
}
