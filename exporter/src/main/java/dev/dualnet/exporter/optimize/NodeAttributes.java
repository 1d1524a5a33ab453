package dev.dualnet.exporter.optimize;

import dev.dualnet.exporter.onnx.proto.Onnx.AttributeProto;
import dev.dualnet.exporter.onnx.proto.Onnx.NodeProto;
import java.util.Arrays;

/** Reading a node's attributes, with the defaults the ONNX operator definitions give. */
final class NodeAttributes {
    private NodeAttributes() {}

    static long[] ints(NodeProto node, String name, long... fallback) {
        for (AttributeProto attribute : node.getAttributeList()) {
            if (attribute.getName().equals(name)) {
                return attribute.getIntsList().stream().mapToLong(Long::longValue).toArray();
            }
        }
        return fallback;
    }

    static long integer(NodeProto node, String name, long fallback) {
        for (AttributeProto attribute : node.getAttributeList()) {
            if (attribute.getName().equals(name)) {
                return attribute.getI();
            }
        }
        return fallback;
    }

    static float real(NodeProto node, String name, float fallback) {
        for (AttributeProto attribute : node.getAttributeList()) {
            if (attribute.getName().equals(name)) {
                return attribute.getF();
            }
        }
        return fallback;
    }

    static boolean has(NodeProto node, String name) {
        return node.getAttributeList().stream().anyMatch(a -> a.getName().equals(name));
    }

    /** Whether an ints attribute is absent or equal to {@code expected}. */
    static boolean intsAre(NodeProto node, String name, long... expected) {
        return Arrays.equals(ints(node, name, expected), expected);
    }
}
