package dev.dualnet.packager;

import dev.dualnet.exporter.onnx.proto.Onnx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How large an integer input may be, where the graph shows it: an input that reaches the indices
 * of a {@code Gather} from a table of V rows (an embedding) takes values below V, one that reaches a
 * {@code OneHot} of depth D values below D. Inputs pass through reshapes, casts, transposes,
 * slices and gathers of their own elements on the way.
 */
final class IndexRanges {
    private static final Set<String> PASS_THROUGH = Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Cast",
            "Identity", "Transpose", "Expand", "Slice");

    private IndexRanges() {}

    /** For each named input whose values index a table: the exclusive upper bound of its values. */
    static Map<String, Long> of(Onnx.ModelProto model, Set<String> inputs) {
        Onnx.GraphProto graph = model.getGraph();
        Map<String, Onnx.TensorProto> initializers = new HashMap<>();
        graph.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        Map<String, List<Onnx.NodeProto>> consumers = new HashMap<>();
        for (Onnx.NodeProto node : graph.getNodeList()) {
            for (String input : node.getInputList()) {
                consumers.computeIfAbsent(input, k -> new ArrayList<>()).add(node);
            }
        }
        Map<String, Long> bounds = new HashMap<>();
        for (String input : inputs) {
            Deque<String> pending = new ArrayDeque<>(List.of(input));
            Set<String> seen = new HashSet<>();
            while (!pending.isEmpty()) {
                String value = pending.pop();
                if (!seen.add(value)) {
                    continue;
                }
                for (Onnx.NodeProto node : consumers.getOrDefault(value, List.of())) {
                    String op = node.getOpType();
                    boolean asData = node.getInput(0).equals(value);
                    if (PASS_THROUGH.contains(op) && asData || op.equals("Gather") && asData) {
                        pending.addAll(node.getOutputList());
                    } else if (op.equals("Gather") && node.getInputCount() > 1 && node.getInput(1).equals(value)) {
                        Onnx.TensorProto table = initializers.get(node.getInput(0));
                        if (table != null && table.getDimsCount() > 0) {
                            long axis = attribute(node, "axis", 0);
                            long rows = table.getDims((int) (axis < 0 ? axis + table.getDimsCount() : axis));
                            bounds.merge(input, rows, Math::min);
                        }
                    } else if (op.equals("OneHot") && asData) {
                        Onnx.TensorProto depth = initializers.get(node.getInput(1));
                        if (depth != null) {
                            bounds.merge(input, firstInteger(depth), Math::min);
                        }
                    }
                }
            }
        }
        return bounds;
    }

    private static long attribute(Onnx.NodeProto node, String name, long fallback) {
        for (Onnx.AttributeProto attribute : node.getAttributeList()) {
            if (attribute.getName().equals(name)) {
                return attribute.getI();
            }
        }
        return fallback;
    }

    private static long firstInteger(Onnx.TensorProto tensor) {
        if (!tensor.getRawData().isEmpty()) {
            java.nio.ByteBuffer bytes = tensor.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
            return tensor.getDataType() == Onnx.TensorProto.DataType.INT32_VALUE ? bytes.getInt() : bytes.getLong();
        }
        return tensor.getInt64DataCount() > 0 ? tensor.getInt64Data(0) : tensor.getInt32Data(0);
    }
}
