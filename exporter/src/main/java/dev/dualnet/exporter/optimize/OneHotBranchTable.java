package dev.dualnet.exporter.optimize;

import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A branch that only sees a small integer input,
 *
 * <pre>
 * Concat(x, Relu(Gemm(OneHot(i), Wb, bb))) → Gemm(W, b)
 * </pre>
 *
 * can take only {@code depth} values, so its whole contribution to the next layer is tabulated at
 * export: {@code Gemm(x, W_x, C = Gather(T, i))} with {@code T[k] = W_b · relu(Wb · onehot(k) + bb) + b}.
 * Four nodes (one of them a copy into the concatenation) become two.
 */
final class OneHotBranchTable implements GraphRewrite {
    /** Larger index ranges would make the table bigger than the layer it replaces. */
    static final long MAX_DEPTH = 4096;

    @Override
    public String name() {
        return "one-hot-branch-table";
    }

    /** The concatenation; the pattern goes on to the Gemm that reads it, which is replaced too. */
    @Override
    public String anchor() {
        return "Concat";
    }

    @Override
    public boolean rewriteAt(GraphEditor graph, NodeProto concat) {
        return concat.getInputCount() == 2 && NodeAttributes.integer(concat, "axis", 0) == 1
                && (rewrite(graph, concat, 1) || rewrite(graph, concat, 0));
    }

    private static boolean rewrite(GraphEditor graph, NodeProto concat, int side) {
        Optional<NodeProto> relu = graph.producerOnlyFor(concat.getInput(side), "Relu", concat);
        Optional<NodeProto> branch = relu.flatMap(r -> graph.producerOnlyFor(r.getInput(0), "Gemm", r))
                .filter(OneHotBranchTable::isPlainLinear);
        Optional<NodeProto> oneHot = branch.flatMap(b -> graph.producerOnlyFor(b.getInput(0), "OneHot", b))
                .filter(o -> NodeAttributes.integer(o, "axis", -1) == -1);
        Optional<NodeProto> next = graph.soleConsumer(concat.getOutput(0))
                .filter(n -> n.getOpType().equals("Gemm") && n.getInput(0).equals(concat.getOutput(0)))
                .filter(OneHotBranchTable::isPlainLinear);
        if (oneHot.isEmpty() || next.isEmpty()) {
            return false;
        }
        Optional<long[]> depth = graph.longs(oneHot.get().getInput(1)).filter(d -> d.length == 1);
        Optional<GraphEditor.Constant> values = graph.floats(oneHot.get().getInput(2))
                .filter(v -> v.data().length == 2);
        Optional<GraphEditor.Constant> branchWeight = graph.floats(branch.get().getInput(1));
        Optional<GraphEditor.Constant> weight = graph.floats(next.get().getInput(1));
        if (depth.isEmpty() || values.isEmpty() || branchWeight.isEmpty() || weight.isEmpty()
                || depth.get()[0] < 1 || depth.get()[0] > MAX_DEPTH
                || branchWeight.get().rank() != 2 || branchWeight.get().dim(1) != depth.get()[0]
                || weight.get().rank() != 2 || weight.get().dim(1) <= branchWeight.get().dim(0)) {
            return false;
        }
        Optional<float[]> branchBias = bias(graph, branch.get(), branchWeight.get().dim(0));
        Optional<float[]> nextBias = bias(graph, next.get(), weight.get().dim(0));
        if (branchBias.isEmpty() || nextBias.isEmpty()) {
            return false;
        }
        int classes = (int) depth.get()[0];
        int units = (int) branchWeight.get().dim(0);
        int outputs = (int) weight.get().dim(0);
        int features = (int) weight.get().dim(1);
        int otherWidth = features - units;
        int branchStart = side == 1 ? otherWidth : 0;
        int otherStart = side == 1 ? 0 : units;
        float[] w = weight.get().data();
        float[] table = table(values.get().data(), branchWeight.get().data(), branchBias.get(), units, classes,
                w, nextBias.get(), outputs, features, branchStart);
        float[] otherWeight = new float[outputs * otherWidth];
        for (int o = 0; o < outputs; o++) {
            System.arraycopy(w, o * features + otherStart, otherWeight, o * otherWidth, otherWidth);
        }

        String prefix = next.get().getOutput(0);
        List<NodeProto> chain = new ArrayList<>();
        String tableName = graph.addInitializer(prefix + "_table", table, classes, outputs);
        String rows = graph.node(chain, "Gather", List.of(tableName, oneHot.get().getInput(0)),
                Attributes.none().integer("axis", 0), prefix + "_rows", -1, outputs);
        graph.nodeWriting(chain, "Gemm", List.of(concat.getInput(1 - side),
                        graph.addInitializer(prefix + "_weight", otherWeight, outputs, otherWidth), rows),
                Attributes.none().integer("transB", 1), prefix);
        graph.replace(List.of(oneHot.get(), branch.get(), relu.get(), concat, next.get()), chain);
        return true;
    }

    /** T[k] = W[:, branch] · relu(Wb[:, k]·on + Σ_{d≠k} Wb[:, d]·off + bb) + b, summed in double. */
    private static float[] table(float[] offOn, float[] wb, float[] bb, int units, int classes, float[] w,
            float[] b, int outputs, int features, int branchStart) {
        float[] table = new float[classes * outputs];
        double[] hidden = new double[units];
        for (int k = 0; k < classes; k++) {
            for (int u = 0; u < units; u++) {
                double sum = bb[u];
                for (int d = 0; d < classes; d++) {
                    sum += (double) wb[u * classes + d] * (d == k ? offOn[1] : offOn[0]);
                }
                hidden[u] = Math.max(0, (float) sum);
            }
            for (int o = 0; o < outputs; o++) {
                double sum = b[o];
                for (int u = 0; u < units; u++) {
                    sum += w[o * features + branchStart + u] * hidden[u];
                }
                table[k * outputs + o] = (float) sum;
            }
        }
        return table;
    }

    /** Gemm as a linear layer: Y = X·Wᵀ + b, weight and optional bias constant. */
    private static boolean isPlainLinear(NodeProto gemm) {
        return NodeAttributes.integer(gemm, "transA", 0) == 0 && NodeAttributes.integer(gemm, "transB", 0) == 1
                && NodeAttributes.real(gemm, "alpha", 1f) == 1f && NodeAttributes.real(gemm, "beta", 1f) == 1f;
    }

    /**
     * The bias of a linear Gemm with {@code outputs} units, zeros when it has none; empty when it is
     * not a constant vector of that length.
     */
    private static Optional<float[]> bias(GraphEditor graph, NodeProto gemm, long outputs) {
        if (gemm.getInputCount() < 3) {
            return Optional.of(new float[(int) outputs]);
        }
        return graph.floats(gemm.getInput(2)).map(GraphEditor.Constant::data).filter(d -> d.length == outputs);
    }
}
