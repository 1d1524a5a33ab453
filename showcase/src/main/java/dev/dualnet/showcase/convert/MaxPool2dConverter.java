package dev.dualnet.showcase.convert;

import dev.dualnet.exporter.graph.Value;
import dev.dualnet.trainer.model.MaxPool2d;
import java.util.List;

/** dualnet {@link MaxPool2d} to ONNX {@code MaxPool}. */
final class MaxPool2dConverter implements BlockConverter<MaxPool2d> {
    @Override
    public Class<MaxPool2d> blockType() {
        return MaxPool2d.class;
    }

    @Override
    public List<Value> convert(MaxPool2d block, String path, List<Value> inputs, ExportContext context) {
        return PoolingConverters.pool("MaxPool", block, path, inputs, context);
    }
}
