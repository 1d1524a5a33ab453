package dev.dualnet.exporter.optimize;

import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.GraphBuilder;
import dev.dualnet.exporter.onnx.proto.Onnx.GraphProto;
import dev.dualnet.exporter.onnx.proto.Onnx.NodeProto;
import dev.dualnet.exporter.onnx.proto.Onnx.TensorProto;
import dev.dualnet.exporter.onnx.proto.Onnx.TensorShapeProto;
import dev.dualnet.exporter.onnx.proto.Onnx.TypeProto;
import dev.dualnet.exporter.onnx.proto.Onnx.ValueInfoProto;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A graph opened for rewriting: its nodes in order, initializers and value infos by name. A
 * rewrite finds a chain of nodes, then {@link #replace replaces} it with nodes that compute the same
 * values; {@link #build} drops initializers and value infos nothing uses any more.
 */
public final class GraphEditor {
    private final GraphProto original;
    private final List<NodeProto> nodes;
    private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
    private final Map<String, ValueInfoProto> valueInfos = new LinkedHashMap<>();
    private final Map<String, ValueInfoProto> graphOutputs = new LinkedHashMap<>();
    private final Set<String> names = new HashSet<>();

    public GraphEditor(GraphProto graph) {
        this.original = graph;
        this.nodes = new ArrayList<>(graph.getNodeList());
        graph.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        graph.getValueInfoList().forEach(v -> valueInfos.put(v.getName(), v));
        graph.getOutputList().forEach(v -> graphOutputs.put(v.getName(), v));
        graph.getInputList().forEach(v -> names.add(v.getName()));
        names.addAll(initializers.keySet());
        for (NodeProto node : nodes) {
            names.add(node.getName());
            names.addAll(node.getOutputList());
        }
    }

    public List<NodeProto> nodes() {
        return List.copyOf(nodes);
    }

    /** The node whose output is {@code value}, if a node makes it (not a graph input or initializer). */
    public Optional<NodeProto> producer(String value) {
        return nodes.stream().filter(n -> n.getOutputList().contains(value)).findFirst();
    }

    /**
     * The node reading {@code value}, when exactly one node reads it and it is not a graph output: the
     * condition for folding the value away.
     */
    public Optional<NodeProto> soleConsumer(String value) {
        if (graphOutputs.containsKey(value)) {
            return Optional.empty();
        }
        List<NodeProto> readers = nodes.stream().filter(n -> n.getInputList().contains(value)).toList();
        return readers.size() == 1 ? Optional.of(readers.get(0)) : Optional.empty();
    }

    /**
     * The {@code opType} node making {@code value}, when {@code reader} is the only node reading it:
     * one link of a chain a rewrite may replace whole.
     */
    public Optional<NodeProto> producerOnlyFor(String value, String opType, NodeProto reader) {
        return producer(value).filter(n -> n.getOpType().equals(opType))
                .filter(n -> soleConsumer(value).orElse(null) == reader);
    }

    /** Float32 contents of an initializer, with its dimensions. */
    public Optional<Constant> floats(String name) {
        TensorProto tensor = initializers.get(name);
        if (tensor == null || tensor.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
            return Optional.empty();
        }
        float[] data;
        if (!tensor.getRawData().isEmpty()) {
            data = new float[tensor.getRawData().size() / Float.BYTES];
            tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        } else {
            data = new float[tensor.getFloatDataCount()];
            for (int i = 0; i < data.length; i++) {
                data[i] = tensor.getFloatData(i);
            }
        }
        return Optional.of(new Constant(data, tensor.getDimsList().stream().mapToLong(Long::longValue).toArray()));
    }

    /** Int64 contents of an initializer. */
    public Optional<long[]> longs(String name) {
        TensorProto tensor = initializers.get(name);
        if (tensor == null || tensor.getDataType() != TensorProto.DataType.INT64_VALUE) {
            return Optional.empty();
        }
        if (!tensor.getRawData().isEmpty()) {
            long[] data = new long[tensor.getRawData().size() / Long.BYTES];
            tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(data);
            return Optional.of(data);
        }
        return Optional.of(tensor.getInt64DataList().stream().mapToLong(Long::longValue).toArray());
    }

    /** The recorded shape of a value, -1 for a symbolic dimension, if the graph records it. */
    public Optional<long[]> shape(String value) {
        ValueInfoProto info = valueInfos.getOrDefault(value, graphOutputs.get(value));
        if (info == null || !info.getType().getTensorType().hasShape()) {
            return Optional.empty();
        }
        return Optional.of(info.getType().getTensorType().getShape().getDimList().stream()
                .mapToLong(d -> d.hasDimValue() ? d.getDimValue() : -1).toArray());
    }

    /** Adds a float32 initializer under a fresh name derived from {@code wanted}; returns the name. */
    public String addInitializer(String wanted, float[] data, long... dims) {
        String name = fresh(wanted);
        initializers.put(name, tensor(name, TensorProto.DataType.FLOAT_VALUE, GraphBuilder.littleEndian(data), dims));
        return name;
    }

    /** Adds an int64 initializer under a fresh name derived from {@code wanted}; returns the name. */
    public String addInitializer(String wanted, long[] data, long... dims) {
        String name = fresh(wanted);
        initializers.put(name, tensor(name, TensorProto.DataType.INT64_VALUE, GraphBuilder.littleEndian(data), dims));
        return name;
    }

    /** A value name not yet used in the graph. */
    public String fresh(String wanted) {
        String name = wanted;
        for (int i = 1; !names.add(name); i++) {
            name = wanted + "_" + i;
        }
        return name;
    }

    /**
     * Starts a node whose output gets a fresh name and a value info of the given float32 shape
     * (-1 for the batch dimension).
     */
    public String node(List<NodeProto> into, String opType, List<String> inputs, Attributes attributes,
            String wantedOutput, long... shape) {
        String output = fresh(wantedOutput);
        nodeWriting(into, opType, inputs, attributes, output);
        valueInfos.put(output, valueInfo(output, shape));
        return output;
    }

    /** Adds a node that writes an existing value: the last node of a replacement chain. */
    public void nodeWriting(List<NodeProto> into, String opType, List<String> inputs, Attributes attributes,
            String existingOutput) {
        into.add(NodeProto.newBuilder().setOpType(opType).setName(fresh(opType + "_" + existingOutput))
                .addAllInput(inputs).addOutput(existingOutput).addAllAttribute(attributes.protos()).build());
    }

    /**
     * Replaces a chain of nodes with others computing the same final value. The replacement goes
     * where the last replaced node was: its inputs all exist by then, and every reader of the
     * chain's result comes after it.
     */
    public void replace(List<NodeProto> chain, List<NodeProto> replacement) {
        int at = nodes.indexOf(chain.get(chain.size() - 1));
        nodes.addAll(at + 1, replacement);
        nodes.removeAll(chain);
    }

    private static TensorProto tensor(String name, int type, com.google.protobuf.ByteString littleEndian, long[] dims) {
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(name).setDataType(type).setRawData(littleEndian);
        for (long dim : dims) {
            tensor.addDims(dim);
        }
        return tensor.build();
    }

    /** A float32 value info; -1 stands for a dimension of unknown size. */
    private static ValueInfoProto valueInfo(String name, long[] shape) {
        TensorShapeProto.Builder dims = TensorShapeProto.newBuilder();
        for (long dim : shape) {
            dims.addDim(dim < 0 ? TensorShapeProto.Dimension.newBuilder()
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(dim));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(dims))).build();
    }

    public GraphProto build() {
        Set<String> used = new HashSet<>();
        Set<String> produced = new HashSet<>();
        for (NodeProto node : nodes) {
            used.addAll(node.getInputList());
            produced.addAll(node.getOutputList());
        }
        GraphProto.Builder graph = original.toBuilder().clearNode().clearInitializer().clearValueInfo()
                .addAllNode(nodes);
        initializers.values().stream().filter(t -> used.contains(t.getName())).forEach(graph::addInitializer);
        valueInfos.values().stream()
                .filter(v -> produced.contains(v.getName()) && !graphOutputs.containsKey(v.getName()))
                .forEach(graph::addValueInfo);
        return graph.build();
    }

    /** A float32 constant and its dimensions. */
    public record Constant(float[] data, long[] dims) {
        public Constant {
            data = data.clone();
            dims = dims.clone();
        }

        @Override
        public float[] data() {
            return data.clone();
        }

        @Override
        public long[] dims() {
            return dims.clone();
        }

        public int rank() {
            return dims.length;
        }

        public long dim(int axis) {
            return dims[axis];
        }
    }
}
