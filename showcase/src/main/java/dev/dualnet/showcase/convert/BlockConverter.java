package dev.dualnet.showcase.convert;

import ai.djl.nn.Block;
import dev.dualnet.exporter.graph.Value;
import java.util.List;

/**
 * Emits the ONNX nodes that compute one kind of DJL block at inference. To make a new block type
 * exportable, implement this interface for it and register it with {@link ConverterRegistry}.
 *
 * @param <B> the block type converted
 */
public interface BlockConverter<B extends Block> {
    /** The exact block class this converter handles. */
    Class<B> blockType();

    /**
     * Adds nodes computing {@code block(inputs)} to the graph.
     *
     * @param block the block to convert, with initialised parameters
     * @param path the block's path in the tree, the prefix of its parameter names
     * @param inputs the block's input tensors
     * @param context the graph under construction, and conversion of child blocks
     * @return the block's output tensors
     */
    List<Value> convert(B block, String path, List<Value> inputs, ExportContext context);
}
