package dev.dualnet.exporter.ops;

import ai.djl.ndarray.types.DataType;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxOperator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Node patterns the mappings share: typed elementwise operators, and the operators whose form
 * depends on the opset (Squeeze, Unsqueeze and ReduceSum take their axes as an input from 13, the
 * other reductions from 18; Split takes sizes as an input) written in the right form for the
 * target.
 */
final class Emit {
    private Emit() {}

    static List<String> one(String value) {
        return List.of(value);
    }

    /** Axis numbers made non-negative. */
    static long[] axes(int[] axes, int rank) {
        long[] normalized = new long[axes.length];
        for (int i = 0; i < axes.length; i++) {
            normalized[i] = axes[i] < 0 ? axes[i] + rank : axes[i];
        }
        return normalized;
    }

    static long axis(long axis, int rank) {
        return axis < 0 ? axis + rank : axis;
    }

    /** An array argument converted to a type. */
    static String input(OpContext op, int arg, DataType type) {
        return op.cast(op.input(arg), op.type(arg), type);
    }

    /**
     * A number argument as a 0-D value of a type: a constant, or computed when it derives from a
     * dynamic size (a float too, such as {@code arange(0f, (float) n)}: the traces tell it apart by
     * the whole numbers it takes).
     */
    static String scalarArg(OpContext op, int arg, DataType type) {
        Object recorded = op.arg(arg, Object.class);
        if (recorded instanceof Number) {
            Dim dim = op.dim(arg);
            if (!dim.isFixed()) {
                return op.cast(op.size(dim), DataType.INT64, type);
            }
        }
        return op.scalar(type, op.number(arg));
    }

    /**
     * The type two operands are computed in, as PyTorch promotes them. Categories rank bool, then
     * integers, then floats. Between a dimensioned operand and a 0-D one (which is how DJL passes a
     * Java number), the dimensioned operand's type wins unless the 0-D operand's category is higher,
     * and then the 0-D operand's type wins ({@code int32 array + 2.5} is float64, since 2.5 is a
     * float64 0-D array). Otherwise the higher category wins, and within one the wider type
     * ({@code int8} with {@code uint8} widens to {@code int16}).
     */
    static DataType promote(DataType a, boolean aScalar, DataType b, boolean bScalar) {
        if (aScalar != bScalar) {
            DataType tensor = aScalar ? b : a;
            DataType scalar = aScalar ? a : b;
            return category(tensor) >= category(scalar) ? tensor : scalar;
        }
        int ca = category(a);
        int cb = category(b);
        if (ca != cb) {
            return ca > cb ? a : b;
        }
        if (a != b && a.getNumOfBytes() == 1 && b.getNumOfBytes() == 1 && ca == 1) {
            return DataType.INT16;
        }
        return a.getNumOfBytes() >= b.getNumOfBytes() ? a : b;
    }

    /** 0 for booleans, 1 for integers, 2 for floats. */
    static int category(DataType type) {
        if (type == DataType.BOOLEAN) {
            return 0;
        }
        return type.isFloating() ? 2 : 1;
    }

    /** The type of a Java number DJL turns into a 0-D array. */
    static DataType numberType(Object number) {
        if (number instanceof Float) {
            return DataType.FLOAT32;
        }
        if (number instanceof Double) {
            return DataType.FLOAT64;
        }
        if (number instanceof Long) {
            return DataType.INT64;
        }
        if (number instanceof Byte) {
            return DataType.INT8;
        }
        return DataType.INT32;
    }

    /** The two operands of a binary method (receiver, then an array or a number), in a given type. */
    static List<String> operands(OpContext op, DataType type) {
        String left = input(op, 0, type);
        String right = op.arg(1, Object.class) instanceof Number ? scalarArg(op, 1, type) : input(op, 1, type);
        return List.of(left, right);
    }

    /** The type PyTorch computes a binary method in. */
    static DataType computeType(OpContext op) {
        DataType left = op.type(0);
        boolean leftScalar = op.rank(0) == 0;
        Object right = op.arg(1, Object.class);
        if (right instanceof Number number) {
            return promote(left, leftScalar, numberType(number), true);
        }
        return promote(left, leftScalar, op.type(1), op.rank(1) == 0);
    }

    static String unsqueeze(OpContext op, String x, long... axes) {
        return op.node(OnnxOperator.UNSQUEEZE, List.of(x, op.longs(axes)), Attributes.none());
    }

    static String squeeze(OpContext op, String x, long... axes) {
        return op.node(OnnxOperator.SQUEEZE, List.of(x, op.longs(axes)), Attributes.none());
    }

    static String transpose(OpContext op, String x, long... perm) {
        return op.node(OnnxOperator.TRANSPOSE, List.of(x), Attributes.none().ints("perm", perm));
    }

    /** The permutation that swaps two axes of a rank. */
    static long[] swap(int rank, long a, long b) {
        long[] perm = new long[rank];
        for (int i = 0; i < rank; i++) {
            perm[i] = i;
        }
        perm[(int) a] = b;
        perm[(int) b] = a;
        return perm;
    }

    /** A reduction in the form of the target opset; {@code axes} empty reduces every axis. */
    static String reduce(OpContext op, OnnxOperator reducer, String x, long[] axes, boolean keepDims) {
        Attributes attributes = Attributes.none().integer("keepdims", keepDims ? 1 : 0);
        boolean axesAsInput = reducer == OnnxOperator.REDUCE_SUM || op.opset() >= 18;
        if (axes.length == 0) {
            return op.node(reducer, List.of(x), attributes);
        }
        if (axesAsInput) {
            return op.node(reducer, List.of(x, op.longs(axes)), attributes);
        }
        return op.node(reducer, List.of(x), attributes.ints("axes", axes));
    }

    /** Split along an axis into parts of the given sizes (an input in every supported opset). */
    static List<String> split(OpContext op, String x, long axis, long[] sizes) {
        if (sizes.length == 1) {
            return List.of(op.node(OnnxOperator.IDENTITY, List.of(x), Attributes.none()));
        }
        return op.node(OnnxOperator.SPLIT, List.of(x, op.longs(sizes)), Attributes.none().integer("axis", axis),
                sizes.length);
    }

    /**
     * A reshape to {@code target}, where every size is fixed, {@code -1}, or dynamic. A dynamic size
     * equal to the input's at the same axis becomes 0 (ONNX's "copy this axis"); one other unknown
     * size becomes -1; more need sizes computed from the input shapes.
     */
    static String reshape(OpContext op, String x, List<Dim> inputShape, List<Dim> target) {
        if (target.stream().anyMatch(d -> d.isFixed() && d.factor() == 0)) {
            throw op.unsupported("a reshape to a size of 0");
        }
        if (flattensFrom(inputShape, target) >= 0) {
            return op.node(OnnxOperator.FLATTEN, List.of(x),
                    Attributes.none().integer("axis", flattensFrom(inputShape, target)));
        }
        long[] fixed = new long[target.size()];
        int unknown = 0;
        boolean hasMinusOne = false;
        for (int i = 0; i < target.size(); i++) {
            Dim dim = target.get(i);
            if (dim.isFixed()) {
                fixed[i] = dim.factor();
                hasMinusOne |= dim.factor() == -1;
            } else if (i < inputShape.size() && dim.equals(inputShape.get(i))) {
                fixed[i] = 0;
            } else {
                fixed[i] = -1;
                unknown++;
            }
        }
        if (unknown == 0 || (unknown == 1 && !hasMinusOne)) {
            return op.node(OnnxOperator.RESHAPE, List.of(x, op.longs(fixed)), Attributes.none());
        }
        return op.node(OnnxOperator.RESHAPE, List.of(x, op.sizes(target)), Attributes.none());
    }

    /**
     * 1 when the target keeps the input's dynamic first axis and joins the rest into one
     * ({@code [N, C, H, W] -> [N, -1]}), which is ONNX {@code Flatten}; -1 otherwise.
     */
    private static int flattensFrom(List<Dim> inputShape, List<Dim> target) {
        int k = target.size() - 1;
        if (k != 1 || k >= inputShape.size() || !target.get(k).equals(new Dim(-1, List.of()))) {
            return -1;
        }
        if (target.subList(0, k).stream().allMatch(Dim::isFixed)) {
            return -1;
        }
        return target.subList(0, k).equals(inputShape.subList(0, k)) ? k : -1;
    }

    /** A range of axes, {@code [from, to)}. */
    static long[] range(int from, int to) {
        long[] axes = new long[Math.max(0, to - from)];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = from + i;
        }
        return axes;
    }

    static List<String> list(String... values) {
        return new ArrayList<>(Arrays.asList(values));
    }
}
