package dev.dualnet.exporter;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One dimension of a tensor in an exported graph: a fixed size, or a multiple of a product of named
 * dynamic dimensions ({@code N}, {@code 3*N}, {@code N*S}).
 *
 * <p>A dynamic dimension keeps its name in the ONNX file ({@code dim_param}). Two inputs that name
 * the same dimension must agree on its size at run time, as a batch dimension does.
 *
 * @param factor the fixed size, or the multiple of the symbols' product
 * @param symbols names of the dynamic dimensions multiplied, sorted; empty for a fixed size
 */
public record Dim(long factor, List<String> symbols) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    public Dim {
        symbols = symbols.stream().sorted().toList();
        if (!symbols.isEmpty() && factor == 0) {
            throw new IllegalArgumentException("a dynamic dimension cannot have factor 0");
        }
        for (String symbol : symbols) {
            if (!NAME.matcher(symbol).matches()) {
                throw new IllegalArgumentException("dimension name '" + symbol
                        + "' is not an identifier (letters, digits and '_', not starting with a digit)");
            }
        }
    }

    /** A fixed size. */
    public static Dim of(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("a fixed size must be >= 0, got " + size);
        }
        return new Dim(size, List.of());
    }

    /** A dynamic dimension with this name. */
    public static Dim named(String name) {
        return new Dim(1, List.of(Objects.requireNonNull(name, "name")));
    }

    /**
     * Parses one dimension of a shape written as text: a number, or a name for a dynamic dimension.
     *
     * @throws IllegalArgumentException naming what was wrong and what is expected
     */
    public static Dim parse(String text) {
        String trimmed = text.strip();
        if (trimmed.matches("\\d+")) {
            return of(Long.parseLong(trimmed));
        }
        if (NAME.matcher(trimmed).matches()) {
            return named(trimmed);
        }
        throw new IllegalArgumentException("dimension '" + text + "' is neither a size (0, 1, 2, ...) nor a name"
                + " for a dynamic dimension (N, batch, seq_len)");
    }

    /** Parses a comma-separated shape such as {@code N,3,224,224}; an empty string is a scalar. */
    public static List<Dim> parseShape(String text) {
        List<Dim> dims = new ArrayList<>();
        if (text.isBlank()) {
            return dims;
        }
        for (String part : text.split(",", -1)) {
            dims.add(parse(part));
        }
        return dims;
    }

    public boolean isFixed() {
        return symbols.isEmpty();
    }

    /**
     * The fixed size.
     *
     * @throws IllegalStateException for a dynamic dimension
     */
    public long size() {
        if (!isFixed()) {
            throw new IllegalStateException("dimension " + this + " is dynamic");
        }
        return factor;
    }

    /** This dimension's size when each symbol has the given size. */
    public long evaluate(java.util.function.ToLongFunction<String> sizes) {
        long value = factor;
        for (String symbol : symbols) {
            value = Math.multiplyExact(value, sizes.applyAsLong(symbol));
        }
        return value;
    }

    /** The product of two dimensions. */
    public Dim times(Dim other) {
        List<String> all = new ArrayList<>(symbols);
        all.addAll(other.symbols);
        long product = Math.multiplyExact(factor, other.factor);
        return all.isEmpty() ? of(product) : new Dim(product, all);
    }

    @Override
    public String toString() {
        if (isFixed()) {
            return Long.toString(factor);
        }
        String product = String.join("*", symbols);
        return factor == 1 ? product : factor + "*" + product;
    }
}
