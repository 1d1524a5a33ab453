package dev.dualnet.exporter.graph;

import com.google.protobuf.ByteString;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.onnx.proto.Onnx.GraphProto;
import dev.dualnet.exporter.onnx.proto.Onnx.NodeProto;
import dev.dualnet.exporter.onnx.proto.Onnx.TensorShapeProto;
import dev.dualnet.exporter.onnx.proto.Onnx.TypeProto;
import dev.dualnet.exporter.onnx.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds one ONNX graph for a target opset: inputs, initializers, nodes, value infos and outputs.
 * Names are made unique; nodes are appended in topological order by construction, since a node can
 * only read values that already exist. Every node is checked against its {@link OnnxOperator}.
 */
public final class GraphBuilder {
    /** Constants up to this size are shared between the nodes that use the same one. */
    private static final int MAX_SHARED_CONSTANT_BYTES = 4096;

    private final String name;
    private final int opset;
    private final Set<String> names = new HashSet<>();
    private final Set<String> reserved = new HashSet<>();
    private final List<ValueInfoProto> inputs = new ArrayList<>();
    private final List<NodeProto.Builder> nodes = new ArrayList<>();
    private final Map<String, ValueInfoProto> valueInfos = new LinkedHashMap<>();
    private final List<Initializer> initializers = new ArrayList<>();
    private final Map<String, String> constantCache = new HashMap<>();
    private final List<Output> outputs = new ArrayList<>();
    private String blockPath = "";
    private String method;
    private int nodeCount;

    /** An initializer: its name, ONNX element type, dimensions and data. */
    public record Initializer(String name, int elementType, long[] dims, TensorData data) {}

    private record Output(String value, String name, ValueInfoProto info) {}

    public GraphBuilder(String name, int opset) {
        this.name = name;
        this.opset = opset;
    }

    public int opset() {
        return opset;
    }

    /** The block path and DJL method that the next nodes are written for, named in errors and in node outputs. */
    public void location(String blockPath, String method) {
        this.blockPath = blockPath;
        this.method = method;
    }

    public String blockPath() {
        return blockPath;
    }

    /** Keeps a name for a graph output, so no other value takes it. */
    public void reserve(String outputName) {
        if (!names.add(outputName)) {
            throw OnnxExportException.invalidRequest("tensor name '" + outputName + "' is used twice");
        }
        reserved.add(outputName);
    }

    /** A unique name starting with {@code wanted}. */
    public String claim(String wanted) {
        String candidate = wanted;
        for (int i = 1; !names.add(candidate); i++) {
            candidate = wanted + "_" + i;
        }
        return candidate;
    }

    public void input(String inputName, int elementType, List<Dim> shape, String docString) {
        if (!names.add(inputName)) {
            throw OnnxExportException.invalidRequest("tensor name '" + inputName + "' is used twice");
        }
        inputs.add(valueInfo(inputName, elementType, shape, docString));
    }

    /** Adds an initializer named after {@code wanted} (made unique) and returns its name. */
    public String initializer(String wanted, int elementType, long[] dims, TensorData data) {
        String claimed = claim(wanted);
        initializers.add(new Initializer(claimed, elementType, dims.clone(), data));
        return claimed;
    }

    /** A small constant, shared by every node that asks for the same type, shape and bytes. */
    public String constant(String wanted, int elementType, long[] dims, ByteString littleEndian) {
        if (littleEndian.size() > MAX_SHARED_CONSTANT_BYTES) {
            return initializer(wanted, elementType, dims, TensorData.of(littleEndian));
        }
        String key = elementType + ":" + java.util.Arrays.toString(dims) + ":"
                + java.util.Base64.getEncoder().encodeToString(littleEndian.toByteArray());
        return constantCache.computeIfAbsent(key, k -> initializer(wanted, elementType, dims, TensorData.of(littleEndian)));
    }

    /** A 1-D int64 constant. */
    public String longs(long... values) {
        return constant(constantName(), ElementTypes.onnx(ai.djl.ndarray.types.DataType.INT64),
                new long[] {values.length}, littleEndian(values));
    }

    /** A 0-D int64 constant. */
    public String scalarLong(long value) {
        return constant(constantName(), ElementTypes.onnx(ai.djl.ndarray.types.DataType.INT64), new long[0],
                littleEndian(new long[] {value}));
    }

    /** A 0-D constant of an ONNX element type, converted from a double. */
    public String scalar(int elementType, double value) {
        return constant(constantName(), elementType, new long[0], Scalars.littleEndian(elementType, value));
    }

    /** Small helper constants are named after the block that first needs them. */
    private String constantName() {
        return blockPath.isEmpty() ? "const" : blockPath + "_const";
    }

    public static ByteString littleEndian(long[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(values);
        return ByteString.copyFrom(bytes.array());
    }

    public static ByteString littleEndian(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return ByteString.copyFrom(bytes.array());
    }

    /** Appends a node with one output and returns the output's name. */
    public String node(OnnxOperator op, List<String> nodeInputs, Attributes attributes) {
        return node(op, nodeInputs, attributes, 1).get(0);
    }

    /**
     * Appends a node.
     *
     * @param nodeInputs input names; an empty string skips an optional input
     * @return the output names, named after the current block path and the operator
     * @throws OnnxExportException when the operator does not exist in the target opset
     */
    public List<String> node(OnnxOperator op, List<String> nodeInputs, Attributes attributes, int outputCount) {
        if (op.since() > opset) {
            throw new OnnxExportException(OnnxExportException.Reason.OPSET_TOO_LOW, "ONNX " + op.type()
                    + " needs opset " + op.since() + " or later; export with opset(" + op.since() + ")",
                    blockPath, method, opset, null);
        }
        int inputCount = nodeInputs.size();
        while (inputCount > 0 && nodeInputs.get(inputCount - 1).isEmpty()) {
            inputCount--;
        }
        try {
            op.validate(inputCount, outputCount, attributes.protos());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("invalid node at block '" + blockPath + "': " + e.getMessage(), e);
        }
        NodeProto.Builder node = NodeProto.newBuilder()
                .setOpType(op.type())
                .setName(op.type() + "_" + nodeCount++)
                .addAllInput(nodeInputs.subList(0, inputCount))
                .addAllAttribute(attributes.protos());
        List<String> outputNames = new ArrayList<>(outputCount);
        String prefix = blockPath.isEmpty() ? op.type() : blockPath + "_" + op.type();
        for (int i = 0; i < outputCount; i++) {
            String output = claim(outputCount == 1 ? prefix : prefix + "_" + i);
            node.addOutput(output);
            outputNames.add(output);
        }
        nodes.add(node);
        return outputNames;
    }

    /** Declares the type and shape of an intermediate value. */
    public void valueInfo(String value, int elementType, List<Dim> shape) {
        valueInfos.put(value, valueInfo(value, elementType, shape, ""));
    }

    /**
     * Makes a value a graph output under {@code outputName} (reserved beforehand): the node that
     * writes the value writes the output instead; an input, an initializer or a value that is
     * already an output is passed through {@code Identity}.
     */
    public void output(String value, String outputName, int elementType, List<Dim> shape, String docString) {
        outputs.add(new Output(value, outputName, valueInfo(outputName, elementType, shape, docString)));
    }

    public String name() {
        return name;
    }

    public List<Initializer> initializers() {
        return Collections.unmodifiableList(initializers);
    }

    /** The graph without initializer data: nodes, inputs, outputs and value infos. Building leaves this builder as it was. */
    public GraphProto.Builder build(String docString) {
        List<NodeProto.Builder> nodes = new ArrayList<>(this.nodes.size());
        for (NodeProto.Builder node : this.nodes) {
            nodes.add(node.clone());
        }
        Map<String, NodeProto.Builder> producers = new HashMap<>();
        for (NodeProto.Builder node : nodes) {
            for (String output : node.getOutputList()) {
                producers.put(output, node);
            }
        }
        Map<String, String> renamed = new HashMap<>();
        Set<String> usedAsOutput = new HashSet<>();
        List<NodeProto.Builder> identities = new ArrayList<>();
        for (Output output : outputs) {
            String source = renamed.getOrDefault(output.value(), output.value());
            NodeProto.Builder producer = producers.get(output.value());
            if (producer != null && usedAsOutput.add(output.value()) && !reserved.contains(output.value())) {
                renamed.put(output.value(), output.name());
            } else {
                identities.add(NodeProto.newBuilder().setOpType(OnnxOperator.IDENTITY.type())
                        .setName(output.name() + "_Identity").addInput(source).addOutput(output.name()));
            }
        }
        GraphProto.Builder graph = GraphProto.newBuilder().setName(name);
        if (!docString.isEmpty()) {
            graph.setDocString(docString);
        }
        graph.addAllInput(inputs);
        for (NodeProto.Builder node : nodes) {
            for (int i = 0; i < node.getInputCount(); i++) {
                String replacement = renamed.get(node.getInput(i));
                if (replacement != null) {
                    node.setInput(i, replacement);
                }
            }
            for (int i = 0; i < node.getOutputCount(); i++) {
                String replacement = renamed.get(node.getOutput(i));
                if (replacement != null) {
                    node.setOutput(i, replacement);
                }
            }
            graph.addNode(node);
        }
        for (NodeProto.Builder identity : identities) {
            graph.addNode(identity);
        }
        Set<String> outputNames = new HashSet<>();
        for (Output output : outputs) {
            graph.addOutput(output.info());
            outputNames.add(output.name());
        }
        for (ValueInfoProto info : valueInfos.values()) {
            if (!renamed.containsKey(info.getName()) && !outputNames.contains(info.getName())) {
                graph.addValueInfo(info);
            }
        }
        return graph;
    }

    /** The type and shape of a value; a dynamic dimension keeps its name ({@code dim_param}). */
    public static ValueInfoProto valueInfo(String value, int elementType, List<Dim> shape, String docString) {
        TensorShapeProto.Builder shapeProto = TensorShapeProto.newBuilder();
        for (Dim dim : shape) {
            shapeProto.addDim(dim.isFixed()
                    ? TensorShapeProto.Dimension.newBuilder().setDimValue(dim.size())
                    : TensorShapeProto.Dimension.newBuilder().setDimParam(dim.toString()));
        }
        TypeProto type = TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elementType).setShape(shapeProto))
                .build();
        ValueInfoProto.Builder info = ValueInfoProto.newBuilder().setName(value).setType(type);
        if (!docString.isEmpty()) {
            info.setDocString(docString);
        }
        return info.build();
    }
}
