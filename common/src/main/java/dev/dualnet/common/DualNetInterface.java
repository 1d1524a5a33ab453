package dev.dualnet.common;

/**
 * The tensors of the dualnet model, as every module names and sizes them: the training block, the
 * exporter's graph and config, the parity bundle and the runtime's predictor all use these.
 *
 * <p>Inputs: {@value #IMAGE}, float32 {@code [N, 1, 28, 28]} with pixels in [0, 1], and
 * {@value #NUMBER}, int64 {@code [N]} in 0..9. Outputs: {@value #DIGIT}, float32
 * {@code [N, 10]} digit probabilities, and {@value #SUM}, float32 {@code [N, 19]} probabilities
 * of digit + number.
 */
public final class DualNetInterface {
    /** Name of the image input. */
    public static final String IMAGE = "image";
    /** Name of the number input. */
    public static final String NUMBER = "number";
    /** Name of the digit output. */
    public static final String DIGIT = "digit";
    /** Name of the sum output. */
    public static final String SUM = "sum";

    /** Height and width of an image. */
    public static final int SIDE = 28;
    /** Pixels of an image. */
    public static final int PIXELS = SIDE * SIDE;
    /** Values the number input takes: 0..9. */
    public static final int NUMBERS = 10;
    /** Digit classes: 0..9. */
    public static final int DIGITS = 10;
    /** Sum classes: 0..18. */
    public static final int SUMS = DIGITS + NUMBERS - 1;

    private DualNetInterface() {}
}
