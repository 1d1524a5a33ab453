package dev.dualnet.showcase.convert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxGraph;
import dev.dualnet.exporter.graph.Value;
import java.util.List;

/** What a converter works with: the graph under construction and the converters of child blocks. */
public final class ExportContext {
    private final OnnxGraph graph;
    private final ConverterRegistry registry;

    public ExportContext(OnnxGraph graph, ConverterRegistry registry) {
        this.graph = graph;
        this.registry = registry;
    }

    public OnnxGraph graph() {
        return graph;
    }

    /** Converts a child block found under {@code key} in its parent at {@code parentPath}. */
    public List<Value> convertChild(Block child, String parentPath, String key, List<Value> inputs) {
        return registry.convert(child, childPath(parentPath, key), inputs, this);
    }

    /** DJL's parameter path of a child: parent path and child key joined by '_'. */
    public static String childPath(String parentPath, String key) {
        return parentPath.isEmpty() ? key : parentPath + "_" + key;
    }

    /**
     * Adds a block's own parameter as a float32 initializer named after its DJL parameter path.
     *
     * @throws UnsupportedBlockException if the block has no such parameter
     */
    public Value parameter(Block block, String path, String name) {
        Parameter parameter = block.getDirectParameters().get(name);
        if (parameter == null || !parameter.isInitialized()) {
            throw new UnsupportedBlockException(path, "has no initialised parameter '" + name + "'");
        }
        NDArray array = parameter.getArray();
        float[] data = array.getDataType() == DataType.FLOAT32 ? array.toFloatArray()
                : array.toType(DataType.FLOAT32, true).toFloatArray();
        return graph.initializer(childPath(path, name), data, array.getShape().getShape());
    }

    /** Whether a block has an initialised parameter of this name. */
    public static boolean hasParameter(Block block, String name) {
        Parameter parameter = block.getDirectParameters().get(name);
        return parameter != null && parameter.isInitialized();
    }

    /** Adds a single-output node whose output is named after the block path and the operator. */
    public Value node(String opType, String path, List<Value> inputs, Attributes attributes, int outputType,
            long[] outputShape) {
        return graph.node(opType, inputs, attributes, childPath(path, opType), outputType, outputShape);
    }
}
