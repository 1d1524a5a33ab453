package dev.dualnet.exporter.ops;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How the tracer treats one DJL method: what it computes on the engine, and how it is written as
 * ONNX.
 */
public final class OpSpec {
    /** How a method is traced. */
    public enum Kind {
        /** Computed on the engine and recorded; {@link #emitter()} writes its nodes. */
        EMIT,
        /** A default method run as written, so the methods it calls are traced one by one. */
        DECOMPOSE,
        /**
         * An in-place method, computed on a copy of the array and written as its out-of-place twin;
         * the array then names the result.
         */
        IN_PLACE,
        /** A method with no ONNX mapping, called on constants only: its result folds into an initializer. */
        FOLD_ONLY,
        /**
         * A method whose result depends on its arrays' shapes only, never on their data (SSD's
         * anchor boxes): a constant where those shapes are fixed.
         */
        SHAPE_ONLY,
        /** A block that writes its own subgraph ({@code OnnxExportable}). */
        BLOCK
    }

    /** What an operation computes on the engine's arrays. */
    @FunctionalInterface
    public interface Computation {
        /**
         * @param receiver the engine array, its {@code NDArrayEx}, or the engine manager
         * @param args the arguments, with engine arrays
         * @return an {@code NDArray} or {@code NDList}
         */
        Object compute(Object receiver, Object[] args) throws Throwable;
    }

    private final Method method;
    private final Kind kind;
    private final Emitter emitter;
    private final Computation computation;

    OpSpec(Method method, Kind kind, Emitter emitter, Computation computation) {
        this.method = method;
        this.kind = kind;
        this.emitter = emitter;
        this.computation = computation;
    }

    /** The engine's own method, called as the block called it. */
    static Computation invoking(Method method) {
        return (receiver, args) -> {
            try {
                return method.invoke(receiver, args);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
            }
        };
    }

    /** A method without a mapping, called on constants. */
    public static OpSpec foldOnly(Method method) {
        return new OpSpec(method, Kind.FOLD_ONLY, null, invoking(method));
    }

    /** A block call that the block exports itself. */
    public static OpSpec block(Emitter emitter) {
        return new OpSpec(null, Kind.BLOCK, emitter, null);
    }

    /** The DJL method; null for a block call. */
    public Method method() {
        return method;
    }

    public Kind kind() {
        return kind;
    }

    /** Writes the nodes; null for {@link Kind#DECOMPOSE} and {@link Kind#FOLD_ONLY}. */
    public Emitter emitter() {
        return emitter;
    }

    /** What the operation computes on the engine: normally the engine's own method. */
    public Computation computation() {
        return computation;
    }

    /** The method as users write it, such as {@code NDArray.add(NDArray)}. */
    public String signature() {
        return method == null ? "Block.forward" : signature(method);
    }

    public static String signature(Method method) {
        return method.getDeclaringClass().getSimpleName() + "." + method.getName() + "("
                + Arrays.stream(method.getParameterTypes()).map(Class::getSimpleName).collect(Collectors.joining(","))
                + ")";
    }

    @Override
    public String toString() {
        return signature() + " " + kind;
    }
}
