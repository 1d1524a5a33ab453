package dev.dualnet.runtime.parity;

/**
 * How far the serving stack's output may be from the training engine's: an element passes when
 * it is within {@code atol} absolutely or {@code rtol} relatively.
 */
public record Tolerance(double atol, double rtol) {
    /** The default of both, for float32 networks run by two engines. */
    public static final double DEFAULT = 1e-5;
    public static final Tolerance DEFAULTS = new Tolerance(DEFAULT, DEFAULT);
}
