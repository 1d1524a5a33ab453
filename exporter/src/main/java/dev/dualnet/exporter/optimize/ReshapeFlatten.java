package dev.dualnet.exporter.optimize;

import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reshape to [-1, d1, ..., dk] then Flatten(axis 1) is one Reshape to [-1, d1·…·dk]. */
final class ReshapeFlatten implements GraphRewrite {
    @Override
    public String name() {
        return "reshape-flatten";
    }

    @Override
    public String anchor() {
        return "Flatten";
    }

    @Override
    public boolean rewriteAt(GraphEditor graph, NodeProto flatten) {
        if (NodeAttributes.integer(flatten, "axis", 1) != 1) {
            return false;
        }
        Optional<NodeProto> reshape = graph.producerOnlyFor(flatten.getInput(0), "Reshape", flatten)
                .filter(n -> NodeAttributes.integer(n, "allowzero", 0) == 0);
        Optional<long[]> shape = reshape.flatMap(n -> graph.longs(n.getInput(1)));
        if (shape.isEmpty() || shape.get().length < 2 || shape.get()[0] != -1) {
            return false;
        }
        long features = 1;
        for (int i = 1; i < shape.get().length; i++) {
            if (shape.get()[i] < 1) {
                return false;
            }
            features *= shape.get()[i];
        }
        List<NodeProto> chain = new ArrayList<>();
        graph.nodeWriting(chain, "Reshape", List.of(reshape.get().getInput(0),
                        graph.addInitializer(flatten.getOutput(0) + "_shape", new long[] {-1, features}, 2)),
                Attributes.none(), flatten.getOutput(0));
        graph.replace(List.of(reshape.get(), flatten), chain);
        return true;
    }
}
