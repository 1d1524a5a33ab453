package dev.dualnet.exporter.trace;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The blocks of a network with the paths DJL names their parameters by: child keys joined with
 * {@code _} ({@code 02SequentialBlock_01Conv2d}), so a parameter's name is its block's path, an
 * underscore and the parameter's own name ({@code 02SequentialBlock_01Conv2d_weight}).
 */
public final class BlockTree {
    /** One block in the tree. */
    public static final class Node {
        private final Block block;
        private final String path;
        private final Node parent;
        private final int index;
        private final List<Node> children = new ArrayList<>();

        Node(Block block, String path, Node parent, int index) {
            this.block = block;
            this.path = path;
            this.parent = parent;
            this.index = index;
        }

        public Block block() {
            return block;
        }

        public String path() {
            return path;
        }

        public Node parent() {
            return parent;
        }

        /** Position among its parent's children. */
        public int index() {
            return index;
        }

        public List<Node> children() {
            return Collections.unmodifiableList(children);
        }

        @Override
        public String toString() {
            return path.isEmpty() ? "(root " + block.getClass().getSimpleName() + ")" : path;
        }
    }

    /** A parameter with the name DJL gives it from the root and the block that owns it. */
    public record NamedParameter(String name, Node owner) {}

    private final Node root;
    private final Map<Block, Node> nodes = new IdentityHashMap<>();
    private final Map<Parameter, NamedParameter> parameters = new IdentityHashMap<>();

    public BlockTree(Block root) {
        this.root = add(root, "", null, 0);
    }

    private Node add(Block block, String path, Node parent, int index) {
        Node node = new Node(block, path, parent, index);
        nodes.putIfAbsent(block, node);
        for (Pair<String, Parameter> entry : block.getDirectParameters()) {
            parameters.putIfAbsent(entry.getValue(), new NamedParameter(join(path, entry.getKey()), node));
        }
        int i = 0;
        for (Pair<String, Block> child : block.getChildren()) {
            node.children.add(add(child.getValue(), join(path, child.getKey()), node, i++));
        }
        return node;
    }

    /** A child path: the parent's path and the key joined as DJL joins parameter names. */
    public static String join(String parentPath, String key) {
        return parentPath.isEmpty() ? key : parentPath + "_" + key;
    }

    public Node root() {
        return root;
    }

    /** The node of a block in this tree, or null. */
    public Node node(Block block) {
        return nodes.get(block);
    }

    /** A parameter's name and owner, or null for a parameter of no block in the tree. */
    public NamedParameter parameter(Parameter parameter) {
        return parameters.get(parameter);
    }
}
