package dev.dualnet.showcase.convert;

import dev.dualnet.exporter.graph.Value;
import dev.dualnet.trainer.model.AvgPool2d;
import java.util.List;

/** dualnet {@link AvgPool2d} to ONNX {@code AveragePool}. */
final class AvgPool2dConverter implements BlockConverter<AvgPool2d> {
    @Override
    public Class<AvgPool2d> blockType() {
        return AvgPool2d.class;
    }

    @Override
    public List<Value> convert(AvgPool2d block, String path, List<Value> inputs, ExportContext context) {
        return PoolingConverters.pool("AveragePool", block, path, inputs, context);
    }
}
