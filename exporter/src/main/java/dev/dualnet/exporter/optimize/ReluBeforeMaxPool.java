package dev.dualnet.exporter.optimize;

import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * MaxPool → Relu becomes Relu → MaxPool. The two orders give the same values: ReLU is monotone, so
 * it commutes with taking a maximum. A network may pool first because ReLU then touches a quarter of
 * the values in training; at inference, ReLU straight after a convolution is
 * what runtimes fuse into the convolution, and what {@link PooledConvolution} looks for.
 */
final class ReluBeforeMaxPool implements GraphRewrite {
    @Override
    public String name() {
        return "relu-before-max-pool";
    }

    @Override
    public String anchor() {
        return "Relu";
    }

    @Override
    public boolean rewriteAt(GraphEditor graph, NodeProto relu) {
        Optional<NodeProto> pool = graph.producerOnlyFor(relu.getInput(0), "MaxPool", relu)
                .filter(p -> p.getOutputCount() == 1);
        Optional<long[]> unpooled = pool.flatMap(p -> graph.shape(p.getInput(0)));
        if (unpooled.isEmpty()) {
            return false;
        }
        List<NodeProto> chain = new ArrayList<>();
        String rectified = graph.node(chain, "Relu", List.of(pool.get().getInput(0)), Attributes.none(),
                pool.get().getInput(0) + "_relu", unpooled.get());
        chain.add(NodeProto.newBuilder(pool.get()).setName(graph.fresh(pool.get().getName() + "_after_relu"))
                .clearInput().addInput(rectified).clearOutput().addOutput(relu.getOutput(0)).build());
        graph.replace(List.of(pool.get(), relu), chain);
        return true;
    }
}
