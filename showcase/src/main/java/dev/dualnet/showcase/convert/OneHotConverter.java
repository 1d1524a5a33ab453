package dev.dualnet.showcase.convert;

import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxGraph;
import dev.dualnet.exporter.graph.Value;
import dev.dualnet.trainer.model.OneHot;
import java.util.List;

/** dualnet {@link OneHot} to ONNX {@code OneHot} with float32 off/on values 0 and 1 on the last axis. */
final class OneHotConverter implements BlockConverter<OneHot> {
    @Override
    public Class<OneHot> blockType() {
        return OneHot.class;
    }

    @Override
    public List<Value> convert(OneHot block, String path, List<Value> inputs, ExportContext context) {
        return List.of(oneHot(inputs.get(0), block.getDepth(), path, context));
    }

    /** Emits one-hot encoding of int64 indices [N] to float32 [N, depth]. */
    static Value oneHot(Value indices, int depth, String path, ExportContext context) {
        Value depthValue = context.graph().initializer(path + "_depth", new long[] {depth});
        Value values = context.graph().initializer(path + "_values", new float[] {0f, 1f}, 2);
        return context.node("OneHot", path, List.of(indices, depthValue, values),
                Attributes.none().integer("axis", -1), OnnxGraph.FLOAT, new long[] {indices.dim(0), depth});
    }
}
