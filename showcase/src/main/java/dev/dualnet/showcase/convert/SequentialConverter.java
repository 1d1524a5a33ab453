package dev.dualnet.showcase.convert;

import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.util.Pair;
import dev.dualnet.exporter.graph.Value;
import java.util.List;

/** {@link SequentialBlock}: each child's outputs feed the next child. */
final class SequentialConverter implements BlockConverter<SequentialBlock> {
    @Override
    public Class<SequentialBlock> blockType() {
        return SequentialBlock.class;
    }

    @Override
    public List<Value> convert(SequentialBlock block, String path, List<Value> inputs, ExportContext context) {
        List<Value> current = inputs;
        for (Pair<String, Block> child : block.getChildren()) {
            current = context.convertChild(child.getValue(), path, child.getKey(), current);
        }
        return current;
    }
}
