package dev.dualnet.exporter.optimize;

/**
 * One rewrite of an exported graph into a cheaper graph that computes the same outputs (up to
 * float rounding from a different summation order). Standard ONNX operators only, so every runtime
 * that loads the literal graph loads the rewritten one.
 */
public interface GraphRewrite {
    /** Short name, recorded in the model card when the rewrite applied. */
    String name();

    /**
     * Applies the rewrite wherever its pattern matches.
     *
     * @return how many places were rewritten
     */
    int apply(GraphEditor graph);
}
