package dev.dualnet.exporter.ops;

import static dev.dualnet.exporter.ops.OpTable.ARRAY;
import static dev.dualnet.exporter.ops.OpTable.EX;

import ai.djl.ndarray.types.DataType;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxOperator;
import java.util.ArrayList;
import java.util.List;

/**
 * Shapes and layouts: reshape, flatten, transpose and swapAxes, expandDims and squeeze,
 * broadcast, tile and repeat, concat, stack and split, type casts, and the bookkeeping methods
 * whose defaults only read the shape.
 */
final class ShapeOps {
    private ShapeOps() {}

    static void register(OpTable table) {
        for (String bookkeeping : List.of("size()", "size(int)", "isScalar()", "isEmpty()", "isSparse()",
                "shapeEquals(NDArray)", "getResourceNDArrays()")) {
            table.decompose(ARRAY, bookkeeping);
        }
        table.emit(ARRAY, "reshape(Shape)", op -> Emit.one(Emit.reshape(op, op.input(0), op.shape(0), op.dims(1))));
        table.decompose(ARRAY, "reshape(long[])");
        table.emit(ARRAY, "flatten()", op -> Emit.one(Emit.reshape(op, op.input(0), op.shape(0),
                List.of(new Dim(-1, List.of())))));
        table.emit(ARRAY, "flatten(int,int)", op -> Emit.one(Emit.reshape(op, op.input(0), op.shape(0),
                op.outputShape(0))));
        table.emit(ARRAY, "expandDims(int)", op -> Emit.one(Emit.unsqueeze(op, op.input(0),
                Emit.axis(op.fixed(1), op.rank(0) + 1))));
        table.emit(ARRAY, "squeeze()", op -> squeeze(op, allAxes(op.rank(0))));
        table.emit(ARRAY, "squeeze(int)", op -> squeeze(op, new long[] {Emit.axis(op.fixed(1), op.rank(0))}));
        table.emit(ARRAY, "squeeze(int[])", op -> squeeze(op, Emit.axes(op.arg(1, int[].class), op.rank(0))));
        table.emit(ARRAY, "transpose()", op -> {
            int rank = op.rank(0);
            long[] perm = new long[rank];
            for (int i = 0; i < rank; i++) {
                perm[i] = rank - 1 - i;
            }
            return Emit.one(permute(op, perm));
        });
        table.emit(ARRAY, "transpose(int[])", op -> Emit.one(permute(op, Emit.axes(op.arg(1, int[].class),
                op.rank(0)))));
        table.emit(ARRAY, "swapAxes(int,int)", op -> {
            int rank = op.rank(0);
            return Emit.one(Emit.transpose(op, op.input(0),
                    Emit.swap(rank, Emit.axis(op.fixed(1), rank), Emit.axis(op.fixed(2), rank))));
        });
        table.emit(ARRAY, "broadcast(Shape)", ShapeOps::broadcast);
        table.decompose(ARRAY, "broadcast(long[])");
        table.emit(ARRAY, "tile(long[])", op -> Emit.one(tile(op, op.dims(1))));
        table.emit(ARRAY, "tile(long)", op -> {
            if (isEmpty(op.shape(0))) {
                // The engine hands an empty array back unchanged.
                return Emit.one(op.node(OnnxOperator.IDENTITY, List.of(op.input(0)), Attributes.none()));
            }
            List<Dim> repeats = new ArrayList<>();
            for (int i = 0; i < Math.max(1, op.rank(0)); i++) {
                repeats.add(op.dim(1));
            }
            return Emit.one(tile(op, repeats));
        });
        table.emit(ARRAY, "repeat(int,long)", op -> {
            long[] times = new long[op.rank(0)];
            java.util.Arrays.fill(times, 1);
            times[(int) Emit.axis(op.fixed(1), op.rank(0))] = op.fixed(2);
            return Emit.one(repeatAxes(op, times));
        });
        table.emit(ARRAY, "repeat(long)", op -> {
            if (isEmpty(op.shape(0))) {
                return Emit.one(op.node(OnnxOperator.IDENTITY, List.of(op.input(0)), Attributes.none()));
            }
            long[] times = new long[op.rank(0)];
            java.util.Arrays.fill(times, op.fixed(1));
            return Emit.one(repeatAxes(op, times));
        });
        table.emit(ARRAY, "repeat(long[])", op -> Emit.one(repeatAxes(op, op.fixedDims(1))));
        table.emit(ARRAY, "toType(DataType,boolean)", op -> Emit.one(castOrCopy(op)));
        table.emit(ARRAY, "toDevice(Device,boolean)", op -> Emit.one(op.input(0)));
        table.emit(ARRAY, "duplicate()", op -> Emit.one(op.node(OnnxOperator.IDENTITY, List.of(op.input(0)),
                Attributes.none())));
        table.emit(EX, "concat(NDList,int)", op -> {
            List<String> inputs = new ArrayList<>();
            inputs.add(Emit.input(op, 0, op.outputType(0)));
            for (int i = 0; i < op.inputs(1).size(); i++) {
                inputs.add(op.cast(op.inputs(1).get(i), op.type(1, i), op.outputType(0)));
            }
            return Emit.one(op.node(OnnxOperator.CONCAT, inputs,
                    Attributes.none().integer("axis", Emit.axis(op.fixed(2), op.rank(0)))));
        });
        table.decompose(EX, "concat(NDList)");
        table.emit(EX, "stack(NDList,int)", op -> {
            long axis = Emit.axis(op.fixed(2), op.rank(0) + 1);
            List<String> inputs = new ArrayList<>();
            inputs.add(Emit.unsqueeze(op, Emit.input(op, 0, op.outputType(0)), axis));
            for (int i = 0; i < op.inputs(1).size(); i++) {
                inputs.add(Emit.unsqueeze(op, op.cast(op.inputs(1).get(i), op.type(1, i), op.outputType(0)), axis));
            }
            return Emit.one(inputs.size() == 1 ? inputs.get(0)
                    : op.node(OnnxOperator.CONCAT, inputs, Attributes.none().integer("axis", axis)));
        });
        table.decompose(EX, "stack(NDList)");
        for (String twoArrays : List.of("concat(NDArray)", "concat(NDArray,int)", "stack(NDArray)", "stack(NDArray,int)",
                "split(long)", "split(long[])")) {
            table.decompose(ARRAY, twoArrays);
        }
        table.emit(ARRAY, "split(long,int)", ShapeOps::split);
        table.emit(ARRAY, "split(long[],int)", ShapeOps::split);
    }

    /** A permutation of the axes; a 0-D array has none to permute. */
    private static String permute(OpContext op, long[] perm) {
        if (op.rank(0) == 0) {
            return op.node(OnnxOperator.IDENTITY, List.of(op.input(0)), Attributes.none());
        }
        return Emit.transpose(op, op.input(0), perm);
    }

    /**
     * PyTorch's expand, where -1 keeps the input's size: ONNX Expand broadcasts both ways, so a 1
     * there keeps it too.
     */
    private static List<String> broadcast(OpContext op) {
        List<Dim> target = new ArrayList<>(op.dims(1));
        for (int i = 0; i < target.size(); i++) {
            if (target.get(i).isFixed() && target.get(i).factor() == -1) {
                target.set(i, Dim.of(1));
            }
        }
        return Emit.one(op.node(OnnxOperator.EXPAND, List.of(op.input(0), op.sizes(target)), Attributes.none()));
    }

    /**
     * PyTorch's {@code repeat}: more repeats than axes add leading axes of size 1 first (ONNX Tile
     * wants one repeat per axis; PyTorch refuses fewer).
     */
    private static String tile(OpContext op, List<Dim> repeats) {
        int rank = op.rank(0);
        String x = op.input(0);
        if (repeats.size() > rank) {
            x = Emit.unsqueeze(op, x, Emit.range(0, repeats.size() - rank));
        }
        return op.node(OnnxOperator.TILE, List.of(x, op.sizes(repeats)), Attributes.none());
    }

    private static boolean isEmpty(List<Dim> shape) {
        return shape.stream().anyMatch(d -> d.isFixed() && d.factor() == 0);
    }

    /**
     * Each element repeated along the first axes, {@code times[axis]} times, as the engine loops
     * over them. An empty array has no elements to order, so a tile gives it its new shape.
     */
    private static String repeatAxes(OpContext op, long[] times) {
        String x = op.input(0);
        if (isEmpty(op.shape(0))) {
            long[] tiles = new long[op.rank(0)];
            java.util.Arrays.fill(tiles, 1);
            System.arraycopy(times, 0, tiles, 0, times.length);
            return op.node(OnnxOperator.TILE, List.of(x, op.longs(tiles)), Attributes.none());
        }
        List<Dim> shape = new ArrayList<>(op.shape(0));
        for (int axis = 0; axis < times.length; axis++) {
            if (times[axis] != 1) {
                x = repeat(op, x, shape, axis, times[axis]);
            }
            shape.set(axis, shape.get(axis).times(Dim.of(times[axis])));
        }
        return x;
    }

    private static long[] allAxes(int rank) {
        return Emit.range(0, rank);
    }

    /** PyTorch squeezes only the axes of size 1; a dynamic axis is taken not to be 1. */
    private static List<String> squeeze(OpContext op, long[] candidates) {
        List<Dim> shape = op.shape(0);
        if (shape.isEmpty()) {
            // A 0-D array has nothing to squeeze; PyTorch accepts axis 0 or -1 for it.
            return Emit.one(op.node(OnnxOperator.IDENTITY, List.of(op.input(0)), Attributes.none()));
        }
        List<Long> axes = new ArrayList<>();
        for (long axis : candidates) {
            Dim dim = shape.get((int) axis);
            if (dim.isFixed() && dim.factor() == 1) {
                axes.add(axis);
            }
        }
        if (axes.isEmpty()) {
            return Emit.one(op.node(OnnxOperator.IDENTITY, List.of(op.input(0)), Attributes.none()));
        }
        return Emit.one(Emit.squeeze(op, op.input(0), axes.stream().mapToLong(Long::longValue).toArray()));
    }

    private static String castOrCopy(OpContext op) {
        DataType from = op.type(0);
        DataType to = op.outputType(0);
        if (from == to) {
            return op.node(OnnxOperator.IDENTITY, List.of(op.input(0)), Attributes.none());
        }
        if (from.isFloating() && to == DataType.UINT8) {
            // PyTorch goes through int64, so a negative value wraps (-1.5 becomes 255); ONNX leaves a
            // direct cast of a value out of uint8's range undefined.
            return op.cast(op.cast(op.input(0), from, DataType.INT64), DataType.INT64, to);
        }
        return op.cast(op.input(0), from, to);
    }

    /** Each element repeated {@code times} times along an axis: unsqueeze, tile, merge. */
    private static String repeat(OpContext op, String x, List<Dim> shape, long axis, long times) {
        int rank = shape.size();
        String expanded = Emit.unsqueeze(op, x, axis + 1);
        long[] tiles = new long[rank + 1];
        java.util.Arrays.fill(tiles, 1);
        tiles[(int) axis + 1] = times;
        String tiled = op.node(OnnxOperator.TILE, List.of(expanded, op.longs(tiles)), Attributes.none());
        List<Dim> target = new ArrayList<>(shape);
        target.set((int) axis, shape.get((int) axis).times(Dim.of(times)));
        List<Dim> tiledShape = new ArrayList<>(shape);
        tiledShape.add((int) axis + 1, Dim.of(times));
        return Emit.reshape(op, tiled, tiledShape, target);
    }

    /**
     * A split into the parts DJL computed along an axis (PyTorch cuts {@code sections} parts of
     * {@code length / sections}, the last one shorter, or cuts at indices). Part sizes that derive
     * from a dynamic dimension ({@code N} and {@code N} of {@code 2*N}) are computed from the input
     * shapes.
     */
    private static List<String> split(OpContext op) {
        long axis = Emit.axis(op.fixed(2), op.rank(0));
        if (op.outputCount() == 1) {
            // One part is the whole array, whatever the axis's size (GhostBatchNorm at inference).
            return Emit.split(op, op.input(0), axis, new long[] {1});
        }
        List<Dim> parts = new ArrayList<>();
        for (int i = 0; i < op.outputCount(); i++) {
            parts.add(op.outputShape(i).get((int) axis));
        }
        if (parts.stream().allMatch(Dim::isFixed)) {
            return Emit.split(op, op.input(0), axis, parts.stream().mapToLong(Dim::size).toArray());
        }
        return op.node(OnnxOperator.SPLIT, List.of(op.input(0), op.sizes(parts)),
                Attributes.none().integer("axis", axis), parts.size());
    }
}
