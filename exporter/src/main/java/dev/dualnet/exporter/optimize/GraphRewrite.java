package dev.dualnet.exporter.optimize;

import dev.dualnet.exporter.onnx.proto.Onnx.NodeProto;

/**
 * One rewrite of an exported graph into a cheaper graph that computes the same outputs (up to
 * float rounding from a different summation order). Standard ONNX operators only, so every runtime
 * that loads the literal graph loads the rewritten one. A rewrite's pattern is found from one anchor
 * node it replaces.
 */
public interface GraphRewrite {
    /** Short name, recorded in the model card when the rewrite applied. */
    String name();

    /** Operator type of the anchor node. */
    String anchor();

    /**
     * Rewrites the pattern that ends at {@code anchor}, if it is there.
     *
     * @return whether the graph changed
     */
    boolean rewriteAt(GraphEditor graph, NodeProto anchor);

    /**
     * Applies the rewrite wherever its pattern matches.
     *
     * @return how many places were rewritten
     */
    default int apply(GraphEditor graph) {
        int rewritten = 0;
        for (NodeProto node : graph.nodes()) {
            if (node.getOpType().equals(anchor()) && rewriteAt(graph, node)) {
                rewritten++;
            }
        }
        return rewritten;
    }
}
