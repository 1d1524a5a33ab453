package dev.dualnet.packager;

import dev.dualnet.exporter.onnx.proto.Onnx;
import dev.dualnet.runtime.ElementType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The inputs and outputs of an exported graph: names, element types and dimensions, each a size
 * or the name of a dynamic dimension ({@code N}, {@code 3*N}).
 */
public record GraphSignature(List<Port> inputs, List<Port> outputs) {
    /** One graph input or output. */
    public record Port(String name, ElementType type, List<String> dims) {
        public Port {
            dims = List.copyOf(dims);
        }

        /** The first dimension when it is one dynamic dimension alone, else null. */
        public String leadingSymbol() {
            if (dims.isEmpty()) {
                return null;
            }
            String first = dims.get(0);
            return first.matches("[A-Za-z_][A-Za-z0-9_]*") ? first : null;
        }

        /** {@code float32 [N,3,224,224]}. */
        public String describe() {
            return ParityInputs.typeName(type) + " [" + String.join(",", dims) + "]";
        }
    }

    public GraphSignature {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    public static GraphSignature of(Onnx.ModelProto model) {
        return new GraphSignature(ports(model.getGraph().getInputList()), ports(model.getGraph().getOutputList()));
    }

    private static List<Port> ports(List<Onnx.ValueInfoProto> values) {
        List<Port> ports = new ArrayList<>();
        for (Onnx.ValueInfoProto value : values) {
            Onnx.TypeProto.Tensor tensor = value.getType().getTensorType();
            List<String> dims = new ArrayList<>();
            for (Onnx.TensorShapeProto.Dimension dim : tensor.getShape().getDimList()) {
                dims.add(dim.hasDimValue() ? Long.toString(dim.getDimValue()) : dim.getDimParam());
            }
            ports.add(new Port(value.getName(), elementType(value.getName(), tensor.getElemType()), dims));
        }
        return ports;
    }

    private static ElementType elementType(String name, int onnxType) {
        return switch (onnxType) {
            case Onnx.TensorProto.DataType.FLOAT_VALUE -> ElementType.FP32;
            case Onnx.TensorProto.DataType.DOUBLE_VALUE -> ElementType.FP64;
            case Onnx.TensorProto.DataType.INT8_VALUE -> ElementType.INT8;
            case Onnx.TensorProto.DataType.UINT8_VALUE -> ElementType.UINT8;
            case Onnx.TensorProto.DataType.INT16_VALUE -> ElementType.INT16;
            case Onnx.TensorProto.DataType.INT32_VALUE -> ElementType.INT32;
            case Onnx.TensorProto.DataType.INT64_VALUE -> ElementType.INT64;
            case Onnx.TensorProto.DataType.BOOL_VALUE -> ElementType.BOOL;
            default -> throw new IllegalArgumentException("tensor '" + name + "' has ONNX type " + onnxType
                    + ", which a model-repository entry here cannot carry");
        };
    }

    /**
     * The batch dimension: the one dynamic dimension every input and output leads with, or null
     * when some tensor does not scale with a common batch.
     */
    public String batchDimension() {
        Set<String> leading = new java.util.HashSet<>();
        for (Port port : all()) {
            leading.add(port.leadingSymbol());
        }
        return leading.size() == 1 && !leading.contains(null) ? leading.iterator().next() : null;
    }

    private List<Port> all() {
        List<Port> all = new ArrayList<>(inputs);
        all.addAll(outputs);
        return all;
    }

    @Override
    public String toString() {
        return inputs.stream().map(p -> p.name() + " " + p.describe()).collect(Collectors.joining(", ")) + " -> "
                + outputs.stream().map(p -> p.name() + " " + p.describe()).collect(Collectors.joining(", "));
    }
}
