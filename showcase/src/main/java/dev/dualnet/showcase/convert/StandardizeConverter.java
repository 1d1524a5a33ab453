package dev.dualnet.showcase.convert;

import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.Value;
import dev.dualnet.trainer.model.Standardize;
import java.util.List;

/** dualnet {@link Standardize} to ONNX {@code Sub} then {@code Div} by scalar constants. */
final class StandardizeConverter implements BlockConverter<Standardize> {
    @Override
    public Class<Standardize> blockType() {
        return Standardize.class;
    }

    @Override
    public List<Value> convert(Standardize block, String path, List<Value> inputs, ExportContext context) {
        Value x = inputs.get(0);
        Value mean = context.graph().initializer(path + "_mean", new float[] {block.getMean()});
        Value std = context.graph().initializer(path + "_std", new float[] {block.getStd()});
        Value centred = context.node("Sub", path, List.of(x, mean), Attributes.none(), x.elementType(), x.shape());
        return List.of(context.node("Div", path, List.of(centred, std), Attributes.none(), x.elementType(), x.shape()));
    }
}
