package dev.dualnet.exporter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxOperator;
import java.util.List;

/**
 * The graph a block writes its own nodes into ({@link OnnxExportable}). Operators are checked
 * against {@link OnnxOperator} (input and output counts, attribute names, the opset they need).
 */
public interface OnnxBlockGraph {
    /** The target opset. */
    int opset();

    /** Appends a node with one output of the given type. */
    OnnxValue node(OnnxOperator op, List<OnnxValue> inputs, Attributes attributes, DataType outputType);

    /** Appends a node with several outputs of the given types. */
    List<OnnxValue> node(OnnxOperator op, List<OnnxValue> inputs, Attributes attributes, List<DataType> outputTypes);

    /** One of the block's parameters, as an initializer named by its block path. */
    OnnxValue parameter(Parameter parameter);

    /** A constant holding an array's current data. */
    OnnxValue constant(NDArray array);

    /** A constant of a type and shape, from float values converted to the type. */
    OnnxValue constant(DataType type, long[] dims, float... values);

    /** A 1-D int64 constant. */
    OnnxValue longs(long... values);

    /** A 0-D constant. */
    OnnxValue scalar(DataType type, double value);
}
