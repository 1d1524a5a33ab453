package dev.dualnet.exporter.optimize;

import dev.dualnet.exporter.onnx.proto.Onnx.AttributeProto;
import dev.dualnet.exporter.onnx.proto.Onnx.NodeProto;
import java.util.Arrays;
import java.util.Optional;

/** Reading a node's attributes, with the defaults the ONNX operator definitions give. */
final class NodeAttributes {
    private NodeAttributes() {}

    static long[] ints(NodeProto node, String name, long... fallback) {
        return find(node, name).map(a -> a.getIntsList().stream().mapToLong(Long::longValue).toArray())
                .orElse(fallback);
    }

    static long integer(NodeProto node, String name, long fallback) {
        return find(node, name).map(AttributeProto::getI).orElse(fallback);
    }

    static float real(NodeProto node, String name, float fallback) {
        return find(node, name).map(AttributeProto::getF).orElse(fallback);
    }

    static boolean has(NodeProto node, String name) {
        return find(node, name).isPresent();
    }

    /** Whether an ints attribute is absent or equal to {@code expected}. */
    static boolean intsAre(NodeProto node, String name, long... expected) {
        return Arrays.equals(ints(node, name, expected), expected);
    }

    private static Optional<AttributeProto> find(NodeProto node, String name) {
        return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst();
    }
}
