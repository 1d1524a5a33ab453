package dev.dualnet.parity;

/**
 * How far the serving stack's output may be from the reference: an element passes when it is
 * within {@code atol} absolutely or within {@code rtol * |expected|} relatively.
 *
 * @param atol absolute tolerance, at least 0
 * @param rtol relative tolerance, at least 0
 */
public record Tolerance(double atol, double rtol) {
    /** The default of both, for float32 networks run by two engines. */
    public static final double DEFAULT = 1e-5;
    /** {@link #DEFAULT} for both. */
    public static final Tolerance DEFAULTS = new Tolerance(DEFAULT, DEFAULT);

    /**
     * @throws IllegalArgumentException when a tolerance is negative or NaN
     */
    public Tolerance {
        if (!(atol >= 0) || !(rtol >= 0)) {
            throw new IllegalArgumentException("tolerances must be >= 0, got atol " + atol + " and rtol " + rtol);
        }
    }

    /** This tolerance with either value replaced where the override is not null. */
    public Tolerance override(Double atolOverride, Double rtolOverride) {
        return new Tolerance(atolOverride != null ? atolOverride : atol, rtolOverride != null ? rtolOverride : rtol);
    }

    /** Whether {@code actual} is close enough to {@code expected}; NaN on either side never is. */
    public boolean allows(double expected, double actual) {
        double diff = Math.abs(actual - expected);
        return diff <= atol || diff <= rtol * Math.abs(expected);
    }
}
