package dev.dualnet.showcase.convert;

import ai.djl.nn.core.Linear;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxGraph;
import dev.dualnet.exporter.graph.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * DJL {@link Linear} to ONNX {@code Gemm} with {@code transB=1}: DJL stores the weight as
 * [out, in], so Y = X * W^T + b.
 */
final class LinearConverter implements BlockConverter<Linear> {
    @Override
    public Class<Linear> blockType() {
        return Linear.class;
    }

    @Override
    public List<Value> convert(Linear block, String path, List<Value> inputs, ExportContext context) {
        Value x = inputs.get(0);
        if (x.rank() != 2) {
            throw new UnsupportedBlockException(path, "Linear on a rank-" + x.rank() + " input; only [N, features]"
                    + " inputs are exported (flatten first)");
        }
        Value weight = context.parameter(block, path, "weight");
        List<Value> nodeInputs = new ArrayList<>(List.of(x, weight));
        if (ExportContext.hasParameter(block, "bias")) {
            nodeInputs.add(context.parameter(block, path, "bias"));
        }
        long units = weight.dim(0);
        return List.of(context.node("Gemm", path, nodeInputs, Attributes.none().integer("transB", 1),
                OnnxGraph.FLOAT, new long[] {x.dim(0), units}));
    }
}
