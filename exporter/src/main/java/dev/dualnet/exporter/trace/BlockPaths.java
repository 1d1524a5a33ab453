package dev.dualnet.exporter.trace;

import ai.djl.nn.AbstractBaseBlock;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Works out which block an operation runs in, for node names and error messages.
 *
 * <p>DJL blocks call their children's {@code forward} themselves, so the exporter sees only the
 * Java stack: one {@code AbstractBaseBlock.forward} frame per block invocation, followed by the
 * {@code forwardInternal} of the block's class. Those classes are matched against the children of
 * the block above. Where several children share a class, the one most recently known to run wins:
 * reading a parameter names its block exactly ({@link #pin}), and a block whose code calls a
 * different method than last time is taken to be the next sibling of that class (a chain of
 * parameterless {@code LambdaBlock}s). A class that matches no child is shown after the path in
 * angle brackets.
 */
final class BlockPaths {
    private static final String FORWARD = "forward";
    private static final String FORWARD_INTERNAL = "forwardInternal";
    private static final String OWN_PACKAGE = "dev.dualnet.exporter.";

    private final StackWalker walker = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    private final Map<BlockTree.Node, Cursor> cursors = new IdentityHashMap<>();

    /** The child of a parent that ran last, and the method its code called. */
    private static final class Cursor {
        BlockTree.Node child;
        String signature;

        Cursor(BlockTree.Node child, String signature) {
            this.child = child;
            this.signature = signature;
        }
    }

    /** One block invocation on the stack: the class whose forwardInternal runs, and what that calls. */
    private record Invocation(Class<?> blockClass, String calls) {}

    /**
     * The node an operation at the current stack position runs in.
     *
     * @param entry the block whose forward the tracer called
     * @param unresolved receives the class names of invocations that match no child
     */
    BlockTree.Node resolve(BlockTree.Node entry, StringBuilder unresolved) {
        List<Invocation> chain = invocations();
        BlockTree.Node node = entry;
        for (int i = 1; i < chain.size(); i++) {
            Invocation invocation = chain.get(i);
            boolean innermost = i == chain.size() - 1;
            BlockTree.Node child = choose(node, invocation.blockClass(), innermost ? invocation.calls() : null);
            if (child == null) {
                unresolved.append('<').append(invocation.blockClass().getSimpleName()).append('>');
                return node;
            }
            node = child;
        }
        return node;
    }

    /** Records that a block is running: it read one of its parameters. */
    void pin(BlockTree.Node owner, BlockTree.Node entry) {
        BlockTree.Node child = owner;
        while (child != null && child != entry && child.parent() != null) {
            Cursor cursor = cursors.get(child.parent());
            if (cursor == null) {
                cursors.put(child.parent(), new Cursor(child, null));
            } else if (cursor.child != child) {
                cursor.child = child;
                cursor.signature = null;
            }
            child = child.parent();
        }
    }

    private BlockTree.Node choose(BlockTree.Node parent, Class<?> blockClass, String calls) {
        Cursor cursor = cursors.get(parent);
        if (cursor != null && blockClass.isInstance(cursor.child.block())) {
            if (calls == null || cursor.signature == null || cursor.signature.equals(calls)) {
                if (calls != null) {
                    cursor.signature = calls;
                }
                return cursor.child;
            }
        }
        int start = cursor == null ? 0 : cursor.child.index() + 1;
        List<BlockTree.Node> children = parent.children();
        for (int k = 0; k < children.size(); k++) {
            BlockTree.Node candidate = children.get((start + k) % children.size());
            if (blockClass.isInstance(candidate.block())) {
                if (cursor == null) {
                    cursors.put(parent, new Cursor(candidate, calls));
                } else {
                    cursor.child = candidate;
                    cursor.signature = calls;
                }
                return candidate;
            }
        }
        return null;
    }

    /** The block invocations on the current stack, outermost first. */
    private List<Invocation> invocations() {
        // Only the frames below the tracer's call into the block: those above it are the caller's.
        List<StackWalker.StackFrame> frames = walker.walk(s -> s.takeWhile(f -> !isEntry(f)).toList());
        int outermost = frames.size() - 1;
        List<Invocation> chain = new ArrayList<>();
        Class<?> current = null;
        String calls = null;
        boolean awaitingClass = false;
        for (int i = outermost; i >= 0; i--) {
            StackWalker.StackFrame frame = frames.get(i);
            Class<?> declaring = frame.getDeclaringClass();
            String method = frame.getMethodName();
            if (method.equals(FORWARD) && declaring == AbstractBaseBlock.class) {
                if (current != null) {
                    chain.add(new Invocation(current, calls));
                }
                current = null;
                calls = null;
                awaitingClass = true;
            } else if (awaitingClass && method.equals(FORWARD_INTERNAL) && Block.class.isAssignableFrom(declaring)) {
                current = declaring;
                awaitingClass = false;
            } else if (current != null && calls == null && !method.equals(FORWARD_INTERNAL) && !ownFrame(declaring)) {
                calls = declaring.getName() + "." + method;
            }
        }
        if (current != null) {
            chain.add(new Invocation(current, calls));
        }
        return chain;
    }

    /** The tracer's own call into a block's forward pass. */
    private static boolean isEntry(StackWalker.StackFrame frame) {
        return frame.getDeclaringClass() == Tracer.class && frame.getMethodName().equals("drive");
    }

    private static boolean ownFrame(Class<?> declaring) {
        String name = declaring.getName();
        return name.startsWith(OWN_PACKAGE) || name.startsWith("jdk.proxy") || name.startsWith("com.sun.proxy")
                || name.startsWith("java.lang.reflect") || name.startsWith("jdk.internal.reflect")
                || Objects.equals(declaring, Block.class);
    }
}
