package dev.dualnet.exporter.graph;

import com.google.protobuf.ByteString;
import dev.dualnet.exporter.onnx.proto.Onnx.GraphProto;
import dev.dualnet.exporter.onnx.proto.Onnx.NodeProto;
import dev.dualnet.exporter.onnx.proto.Onnx.TensorProto;
import dev.dualnet.exporter.onnx.proto.Onnx.TensorShapeProto;
import dev.dualnet.exporter.onnx.proto.Onnx.TypeProto;
import dev.dualnet.exporter.onnx.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Builds one ONNX graph: inputs, initializers, nodes with a value info for every intermediate
 * tensor, and outputs. Names are made unique; nodes are appended in topological order by
 * construction, since a node can only take values that already exist.
 */
public final class OnnxGraph {
    /** Name of the symbolic batch dimension in every shape. */
    public static final String BATCH_DIM = "N";
    public static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
    public static final int INT64 = TensorProto.DataType.INT64_VALUE;

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Set<String> names = new HashSet<>();
    private int nodeCount;

    public OnnxGraph(String name, String docString) {
        graph.setName(name).setDocString(docString);
    }

    /** Declares a graph input. */
    public Value input(String name, int elementType, long[] shape, String docString) {
        Value value = new Value(claim(name), elementType, shape);
        graph.addInput(valueInfo(value, docString));
        return value;
    }

    /** Declares an existing value as a graph output; its name is the output's name. */
    public void output(Value value, String docString) {
        graph.addOutput(valueInfo(value, docString));
        removeValueInfo(value.name());
    }

    /** Adds a float32 initializer, stored little-endian in raw_data. */
    public Value initializer(String name, float[] data, long... dims) {
        Value value = new Value(claim(name), FLOAT, dims);
        graph.addInitializer(floatTensor(value.name(), data, dims));
        return value;
    }

    /** Adds an int64 initializer, stored little-endian in raw_data. */
    public Value initializer(String name, long[] data, long... dims) {
        Value value = new Value(claim(name), INT64, dims);
        graph.addInitializer(longTensor(value.name(), data, dims));
        return value;
    }

    /** A float32 tensor with its values little-endian in raw_data. */
    public static TensorProto floatTensor(String name, float[] data, long... dims) {
        ByteBuffer bytes = ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(data);
        return tensor(name, FLOAT, bytes, dims);
    }

    /** An int64 tensor with its values little-endian in raw_data. */
    public static TensorProto longTensor(String name, long[] data, long... dims) {
        ByteBuffer bytes = ByteBuffer.allocate(data.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(data);
        return tensor(name, INT64, bytes, dims);
    }

    private static TensorProto tensor(String name, int elementType, ByteBuffer littleEndian, long[] dims) {
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(name).setDataType(elementType)
                .setRawData(ByteString.copyFrom(littleEndian.array()));
        for (long dim : dims) {
            tensor.addDims(dim);
        }
        return tensor.build();
    }

    /**
     * Appends a node with one output.
     *
     * @param opType ONNX operator in the default domain
     * @param outputName preferred name of the output (made unique if taken)
     * @param outputType element type of the output
     * @param outputShape shape of the output, {@link Value#BATCH} for the batch dimension
     */
    public Value node(String opType, List<Value> inputs, Attributes attributes, String outputName, int outputType,
            long[] outputShape) {
        Value output = new Value(claim(outputName), outputType, outputShape);
        NodeProto.Builder node = NodeProto.newBuilder()
                .setOpType(opType)
                .setName(opType + "_" + nodeCount++)
                .addOutput(output.name())
                .addAllAttribute(attributes.protos());
        for (Value input : inputs) {
            node.addInput(input.name());
        }
        graph.addNode(node);
        graph.addValueInfo(valueInfo(output, ""));
        return output;
    }

    public GraphProto build() {
        return graph.build();
    }

    private String claim(String wanted) {
        String name = wanted;
        for (int i = 1; !names.add(name); i++) {
            name = wanted + "_" + i;
        }
        return name;
    }

    private void removeValueInfo(String name) {
        for (int i = 0; i < graph.getValueInfoCount(); i++) {
            if (graph.getValueInfo(i).getName().equals(name)) {
                graph.removeValueInfo(i);
                return;
            }
        }
    }

    /** The type and shape of a value, with the symbolic batch dimension for {@link Value#BATCH}. */
    public static ValueInfoProto valueInfo(Value value, String docString) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long dim : value.shape()) {
            shape.addDim(dim == Value.BATCH
                    ? TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH_DIM)
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(dim));
        }
        TypeProto type = TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(value.elementType()).setShape(shape))
                .build();
        ValueInfoProto.Builder info = ValueInfoProto.newBuilder().setName(value.name()).setType(type);
        if (!docString.isEmpty()) {
            info.setDocString(docString);
        }
        return info.build();
    }
}
