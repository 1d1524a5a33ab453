package dev.dualnet.exporter.optimize;

import dev.dualnet.exporter.onnx.proto.Onnx.ModelProto;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites an exported model's graph into a cheaper one with the same inputs, outputs and results
 * (to float rounding), before it is written. The literal graph mirrors the DJL block tree node for
 * node; the optimised one is what serving runs fastest. Both are standard ONNX.
 */
public final class GraphOptimizer {
    private final List<GraphRewrite> rewrites;

    public GraphOptimizer(List<GraphRewrite> rewrites) {
        this.rewrites = List.copyOf(rewrites);
    }

    /** Every rewrite the exporter ships, in the order they are tried. */
    public static GraphOptimizer standard() {
        return new GraphOptimizer(List.of(new ReluBeforeMaxPool(), new PooledConvolution(), new ReshapeFlatten(),
                new OneHotBranchTable()));
    }

    /** No rewrites: the literal graph is written as built. */
    public static GraphOptimizer none() {
        return new GraphOptimizer(List.of());
    }

    /** The rewritten model and how often each rewrite applied (rewrites that never matched are left out). */
    public record Result(ModelProto model, Map<String, Integer> applied) {
        public Result {
            applied = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(applied));
        }
    }

    public Result optimize(ModelProto model) {
        GraphEditor graph = new GraphEditor(model.getGraph());
        Map<String, Integer> applied = new LinkedHashMap<>();
        for (GraphRewrite rewrite : rewrites) {
            int count = rewrite.apply(graph);
            if (count > 0) {
                applied.put(rewrite.name(), count);
            }
        }
        if (applied.isEmpty()) {
            return new Result(model, applied);
        }
        return new Result(model.toBuilder().setGraph(graph.build()).build(), applied);
    }
}
