package dev.dualnet.showcase.convert;

import ai.djl.nn.LambdaBlock;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxGraph;
import dev.dualnet.exporter.graph.Value;
import java.util.List;
import java.util.Map;

/**
 * DJL {@link LambdaBlock}s, recognised by the names DJL's factories give them: activations
 * ({@code Activation.reluBlock()} and friends) and {@code Blocks.batchFlattenBlock()}.
 */
final class LambdaBlockConverter implements BlockConverter<LambdaBlock> {
    /** DJL block name to ONNX elementwise operator. */
    private static final Map<String, String> ACTIVATIONS = Map.of(
            "ReLU", "Relu",
            "sigmoid", "Sigmoid",
            "Tanh", "Tanh",
            "tanh", "Tanh");
    private static final String FLATTEN = "batchFlatten";

    @Override
    public Class<LambdaBlock> blockType() {
        return LambdaBlock.class;
    }

    @Override
    public List<Value> convert(LambdaBlock block, String path, List<Value> inputs, ExportContext context) {
        Value x = inputs.get(0);
        String name = block.getName();
        String activation = ACTIVATIONS.get(name);
        if (activation != null) {
            return List.of(context.node(activation, path, List.of(x), Attributes.none(), x.elementType(), x.shape()));
        }
        if (FLATTEN.equals(name)) {
            return List.of(context.node("Flatten", path, List.of(x), Attributes.none().integer("axis", 1),
                    x.elementType(), new long[] {x.dim(0), x.featuresPerSample()}));
        }
        throw new UnsupportedBlockException(path, "lambda block named '" + name + "' has no ONNX equivalent; "
                + "supported names: " + String.join(", ", ACTIVATIONS.keySet()) + ", " + FLATTEN
                + (LambdaBlock.DEFAULT_NAME.equals(name) ? " (give the lambda a name, or use a block class)" : ""));
    }
}
