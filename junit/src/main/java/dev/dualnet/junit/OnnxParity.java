package dev.dualnet.junit;

import ai.djl.nn.Block;

/**
 * Entry point of the ONNX parity assertion: a DJL block exports to ONNX, and ONNX Runtime computes
 * on example inputs what the block's own forward pass computes, within a tolerance.
 *
 * <pre>{@code
 * OnnxParity.assertThat(block)
 *         .withInputs(manager.randomUniform(0, 1, new Shape(4, 3, 32, 32)))
 *         .matchesWithin(1e-5);
 * }</pre>
 *
 * <p>A failure is an {@link org.opentest4j.AssertionFailedError}, which JUnit 5 reports as a failed
 * test and every other test framework as a failed assertion. Call it by its class name
 * ({@code OnnxParity.assertThat}): a static import would sit beside AssertJ's {@code assertThat}.
 */
public final class OnnxParity {
    private OnnxParity() {}

    /**
     * Starts an assertion about a block's ONNX export.
     *
     * @param block an initialised block (parameters initialised or loaded)
     * @return the assertion, to be given example inputs and finished with {@code matchesWithin}
     * @throws IllegalArgumentException when the block is null
     */
    public static OnnxParityAssert assertThat(Block block) {
        if (block == null) {
            throw new IllegalArgumentException("no block to check: OnnxParity.assertThat(null)");
        }
        return new OnnxParityAssert(block);
    }
}
