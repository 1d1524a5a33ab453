package dev.dualnet.exporter.ops;

import static dev.dualnet.exporter.ops.OpTable.ARRAY;

import ai.djl.ndarray.types.DataType;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxOperator;
import java.util.List;

/**
 * Reductions (sum, mean, max, min, prod, with and without keepDims), arg max and min, top-k, sort,
 * cumulative sums and products, norms, and the boolean reductions all, any and none.
 *
 * <p>Types follow PyTorch: sum, prod, cumSum and cumProd of integers and booleans give int64; the
 * others keep the input's type; arg max, arg min, argSort and top-k indices are int64. Each mapping
 * computes in a type ONNX Runtime has kernels for ({@code wide}) and converts the result to the type
 * DJL computed. A full reduction gives a 0-D array, and a method given a 0-D array returns it as
 * PyTorch does (reducing its only "axis" leaves it unchanged).
 */
final class ReductionOps {
    private ReductionOps() {}

    static void register(OpTable table) {
        reduction(table, "sum", OnnxOperator.REDUCE_SUM);
        reduction(table, "mean", OnnxOperator.REDUCE_MEAN);
        reduction(table, "max", OnnxOperator.REDUCE_MAX);
        reduction(table, "min", OnnxOperator.REDUCE_MIN);
        reduction(table, "prod", OnnxOperator.REDUCE_PROD);

        table.emit(ARRAY, "argMax()", op -> Emit.one(argFlat(op, OnnxOperator.ARG_MAX)));
        table.emit(ARRAY, "argMin()", op -> Emit.one(argFlat(op, OnnxOperator.ARG_MIN)));
        table.emit(ARRAY, "argMax(int)", op -> Emit.one(argAlong(op, OnnxOperator.ARG_MAX)));
        table.emit(ARRAY, "argMin(int)", op -> Emit.one(argAlong(op, OnnxOperator.ARG_MIN)));

        table.emit(ARRAY, "cumSum()", op -> Emit.one(cumSumAll(op)));
        table.emit(ARRAY, "cumSum(int)", op -> Emit.one(cumSum(op, op.fixed(1))));
        table.emit(ARRAY, "cumProd(int)", op -> Emit.one(cumProd(op)));
        table.emit(ARRAY, "cumProd(int,DataType)", op -> Emit.one(cumProd(op)));

        table.emit(ARRAY, "norm(boolean)", op -> Emit.one(norm(op, 2, new long[0], op.arg(1, Boolean.class))));
        table.emit(ARRAY, "norm(int,int[],boolean)", op -> Emit.one(norm(op, op.fixed(1),
                Emit.axes(op.arg(2, int[].class), op.rank(0)), op.arg(3, Boolean.class))));
        table.decompose(ARRAY, "norm()");
        table.decompose(ARRAY, "norm(int[])");
        table.decompose(ARRAY, "norm(int[],boolean)");

        table.emit(ARRAY, "topK(int,int,boolean,boolean)", ReductionOps::topK);
        table.decompose(ARRAY, "topK(int,int)");
        table.emit(ARRAY, "sort()", op -> Emit.one(sort(op, -1)));
        table.emit(ARRAY, "sort(int)", op -> Emit.one(sort(op, op.fixed(1))));
        table.emit(ARRAY, "argSort(int,boolean)", op -> Emit.one(argSort(op, op.fixed(1),
                op.arg(2, Boolean.class))));
        table.decompose(ARRAY, "argSort()");
        table.decompose(ARRAY, "argSort(int)");

        table.emit(ARRAY, "all()", op -> Emit.one(truth(op, OnnxOperator.REDUCE_MIN, false)));
        table.emit(ARRAY, "any()", op -> Emit.one(truth(op, OnnxOperator.REDUCE_MAX, false)));
        table.emit(ARRAY, "none()", op -> Emit.one(truth(op, OnnxOperator.REDUCE_MAX, true)));
        table.decompose(ARRAY, "countNonzero()");
        table.decompose(ARRAY, "countNonzero(int)");
    }

    /** {@code name()}, {@code name(int[], boolean)} and the default {@code name(int[])}. */
    private static void reduction(OpTable table, String name, OnnxOperator reducer) {
        table.emit(ARRAY, name + "()", op -> Emit.one(reduce(op, reducer, new long[0], false)));
        table.emit(ARRAY, name + "(int[],boolean)", op -> Emit.one(reduce(op, reducer,
                Emit.axes(op.arg(1, int[].class), op.rank(0)), op.arg(2, Boolean.class))));
        table.decompose(ARRAY, name + "(int[])");
    }

    /**
     * The type an operation runs in for ONNX Runtime: booleans and integers narrower than 32 bits
     * widen to int32 (exact, and every reducing, sorting and scanning kernel has int32), 16-bit
     * floats to float32 (PyTorch accumulates those in float32 too).
     */
    private static DataType wide(DataType type) {
        return switch (type) {
            case BOOLEAN, UINT8, INT8, UINT16, INT16 -> DataType.INT32;
            case FLOAT16, BFLOAT16 -> DataType.FLOAT32;
            default -> type;
        };
    }

    /**
     * The receiver converted to the output type, as PyTorch converts it before computing, then
     * widened for the operation.
     */
    private static String widened(OpContext op) {
        DataType type = op.outputType(0);
        return op.cast(Emit.input(op, 0, type), type, wide(type));
    }

    /** {@code x} computed in the widened output type, converted back to the output type. */
    private static String narrowed(OpContext op, String x) {
        return op.cast(x, wide(op.outputType(0)), op.outputType(0));
    }

    /** Empty {@code axes} reduce every axis, as PyTorch's {@code sum(dim=[])} does. */
    private static String reduce(OpContext op, OnnxOperator reducer, long[] axes, boolean keepDims) {
        String x = widened(op);
        if (op.rank(0) == 0) {
            return copy(op, narrowed(op, x));
        }
        return narrowed(op, Emit.reduce(op, reducer, x, axes, keepDims));
    }

    /** A value that is not a new node (an input, an initializer) passed on as one. */
    private static String copy(OpContext op, String x) {
        return op.node(OnnxOperator.IDENTITY, List.of(x), Attributes.none());
    }

    /** The index of the first extreme element of the flattened array, 0-D; PyTorch's default picks the first too. */
    private static String argFlat(OpContext op, OnnxOperator arg) {
        if (op.rank(0) == 0) {
            return copy(op, op.scalar(DataType.INT64, 0));
        }
        String x = Emit.input(op, 0, wide(op.type(0)));
        String flat = op.node(OnnxOperator.RESHAPE, List.of(x, op.longs(-1)), Attributes.none());
        return op.node(arg, List.of(flat), Attributes.none().integer("axis", 0).integer("keepdims", 0));
    }

    private static String argAlong(OpContext op, OnnxOperator arg) {
        if (op.rank(0) == 0) {
            return copy(op, op.scalar(DataType.INT64, 0));
        }
        String x = Emit.input(op, 0, wide(op.type(0)));
        return op.node(arg, List.of(x), Attributes.none().integer("axis", Emit.axis(op.fixed(1), op.rank(0)))
                .integer("keepdims", 0));
    }

    /** DJL's {@code cumSum()} on PyTorch: a 0-D array becomes 1-D, any other sums along axis 0 (not flattened). */
    private static String cumSumAll(OpContext op) {
        if (op.shape(0).stream().anyMatch(d -> d.isFixed() && d.factor() == 0)) {
            throw op.unsupported("cumSum() of an empty array, which DJL flattens; expected an array with elements");
        }
        if (op.rank(0) == 0) {
            return op.node(OnnxOperator.RESHAPE, List.of(Emit.input(op, 0, op.outputType(0)), op.longs(1)),
                    Attributes.none());
        }
        return cumSum(op, 0);
    }

    private static String cumSum(OpContext op, long axis) {
        String x = widened(op);
        if (op.rank(0) == 0) {
            return copy(op, narrowed(op, x));
        }
        String sum = op.node(OnnxOperator.CUM_SUM, List.of(x, op.scalar(DataType.INT64,
                Emit.axis(axis, op.rank(0)))), Attributes.none());
        return narrowed(op, sum);
    }

    /**
     * ONNX has no cumulative product: element {@code i} along the axis is the product of the
     * elements {@code j <= i}, computed as a ReduceProd over a square of the axis length where the
     * elements {@code j > i} are replaced by 1. It costs memory quadratic in the axis length, and
     * works for a dynamic length.
     */
    private static String cumProd(OpContext op) {
        String x = widened(op);
        int rank = op.rank(0);
        if (rank == 0) {
            return copy(op, narrowed(op, x));
        }
        long axis = Emit.axis(op.fixed(1), rank);
        Dim length = op.shape(0).get((int) axis);
        String positions = op.node(OnnxOperator.RANGE, List.of(op.scalar(DataType.INT64, 0), op.size(length),
                op.scalar(DataType.INT64, 1)), Attributes.none());
        String kept = op.node(OnnxOperator.LESS_OR_EQUAL, List.of(Emit.unsqueeze(op, positions, 0),
                Emit.unsqueeze(op, positions, 1)), Attributes.none());
        if (axis < rank - 1) {
            kept = Emit.unsqueeze(op, kept, Emit.range(2, rank - (int) axis + 1));
        }
        DataType type = wide(op.outputType(0));
        String square = op.node(OnnxOperator.WHERE, List.of(kept, Emit.unsqueeze(op, x, axis), op.scalar(type, 1)),
                Attributes.none());
        return narrowed(op, Emit.reduce(op, OnnxOperator.REDUCE_PROD, square, new long[] {axis + 1}, false));
    }

    /**
     * PyTorch's {@code norm(p, dims, keepdim)} is the vector norm over all the given axes together
     * (every axis when none are given), also for two axes: {@code (sum |x|^p)^(1/p)}, with p = 0
     * counting the non-zero elements.
     */
    private static String norm(OpContext op, long order, long[] axes, boolean keepDims) {
        DataType type = wide(op.outputType(0));
        String x = Emit.input(op, 0, type);
        if (order == 1 || order == 2) {
            return narrowed(op, Emit.reduce(op, order == 1 ? OnnxOperator.REDUCE_L1 : OnnxOperator.REDUCE_L2, x,
                    axes, keepDims));
        }
        if (order == 0) {
            String zero = op.node(OnnxOperator.EQUAL, List.of(x, op.scalar(type, 0)), Attributes.none());
            String nonZero = op.cast(op.node(OnnxOperator.NOT, List.of(zero), Attributes.none()), DataType.BOOLEAN,
                    type);
            return narrowed(op, Emit.reduce(op, OnnxOperator.REDUCE_SUM, nonZero, axes, keepDims));
        }
        String abs = op.node(OnnxOperator.ABS, List.of(x), Attributes.none());
        String powers = op.node(OnnxOperator.POW, List.of(abs, op.scalar(type, order)), Attributes.none());
        String sum = Emit.reduce(op, OnnxOperator.REDUCE_SUM, powers, axes, keepDims);
        return narrowed(op, op.node(OnnxOperator.POW, List.of(sum, op.scalar(type, 1.0 / order)), Attributes.none()));
    }

    /**
     * Values then int64 indices, as DJL's NDList. With {@code sorted} false PyTorch leaves the order
     * unspecified and so does ONNX: the same elements come out, possibly in another order. Among
     * equal values ONNX picks lower indices first, PyTorch in no set order.
     */
    private static List<String> topK(OpContext op) {
        int rank = op.rank(0);
        if (rank == 0) {
            throw op.unsupported("top-k of a 0-D array");
        }
        DataType type = wide(op.type(0));
        String k = op.sizes(List.of(op.dim(1)));
        Attributes attributes = Attributes.none().integer("axis", Emit.axis(op.fixed(2), rank))
                .integer("largest", op.arg(3, Boolean.class) ? 1 : 0)
                .integer("sorted", op.arg(4, Boolean.class) ? 1 : 0);
        List<String> results = op.node(OnnxOperator.TOP_K, List.of(Emit.input(op, 0, type), k), attributes, 2);
        return List.of(op.cast(results.get(0), type, op.outputType(0)), results.get(1));
    }

    /** Ascending sort along an axis: values (0) and indices (1) of a TopK over the whole axis. */
    private static List<String> ascending(OpContext op, long axis) {
        int rank = op.rank(0);
        long normalized = Emit.axis(axis, rank);
        String k = op.sizes(List.of(op.shape(0).get((int) normalized)));
        return op.node(OnnxOperator.TOP_K, List.of(Emit.input(op, 0, wide(op.type(0))), k), Attributes.none()
                .integer("axis", normalized).integer("largest", 0).integer("sorted", 1), 2);
    }

    private static String sort(OpContext op, long axis) {
        if (op.rank(0) == 0) {
            return copy(op, op.input(0));
        }
        return op.cast(ascending(op, axis).get(0), wide(op.type(0)), op.outputType(0));
    }

    /**
     * DJL's descending argSort reverses the ascending one, so equal values come out last index
     * first; the reverse is a Slice with step -1.
     */
    private static String argSort(OpContext op, long axis, boolean ascending) {
        int rank = op.rank(0);
        if (rank == 0) {
            return copy(op, op.scalar(DataType.INT64, 0));
        }
        String indices = ascending(op, axis).get(1);
        if (ascending) {
            return indices;
        }
        return op.node(OnnxOperator.SLICE, List.of(indices, op.longs(-1), op.longs(Long.MIN_VALUE),
                op.longs(Emit.axis(axis, rank)), op.longs(-1)), Attributes.none());
    }

    /**
     * all, any and none of the array read as booleans (non-zero, NaN included, is true): the
     * minimum or maximum of its truth values as int32, 0-D.
     */
    private static String truth(OpContext op, OnnxOperator reducer, boolean negate) {
        String bool = Emit.input(op, 0, DataType.BOOLEAN);
        String ints = op.cast(bool, DataType.BOOLEAN, DataType.INT32);
        String reduced = op.cast(Emit.reduce(op, reducer, ints, new long[0], false), DataType.INT32,
                DataType.BOOLEAN);
        return negate ? op.node(OnnxOperator.NOT, List.of(reduced), Attributes.none()) : reduced;
    }
}
