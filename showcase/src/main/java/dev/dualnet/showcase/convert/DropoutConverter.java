package dev.dualnet.showcase.convert;

import ai.djl.nn.norm.Dropout;
import dev.dualnet.exporter.graph.Value;
import java.util.List;

/** DJL {@link Dropout}: the identity at inference, so it emits no node. */
final class DropoutConverter implements BlockConverter<Dropout> {
    @Override
    public Class<Dropout> blockType() {
        return Dropout.class;
    }

    @Override
    public List<Value> convert(Dropout block, String path, List<Value> inputs, ExportContext context) {
        return inputs;
    }
}
