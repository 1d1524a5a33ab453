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
            return Emit.one(Emit.transpose(op, op.input(0), perm));
        });
        table.emit(ARRAY, "transpose(int[])", op -> Emit.one(Emit.transpose(op, op.input(0),
                Emit.axes(op.arg(1, int[].class), op.rank(0)))));
        table.emit(ARRAY, "swapAxes(int,int)", op -> {
            int rank = op.rank(0);
            return Emit.one(Emit.transpose(op, op.input(0),
                    Emit.swap(rank, Emit.axis(op.fixed(1), rank), Emit.axis(op.fixed(2), rank))));
        });
        table.emit(ARRAY, "broadcast(Shape)", op -> Emit.one(op.node(OnnxOperator.EXPAND,
                List.of(op.input(0), op.sizes(op.dims(1))), Attributes.none())));
        table.decompose(ARRAY, "broadcast(long[])");
        table.emit(ARRAY, "tile(long[])", op -> Emit.one(op.node(OnnxOperator.TILE,
                List.of(op.input(0), op.sizes(op.dims(1))), Attributes.none())));
        table.emit(ARRAY, "tile(long)", op -> {
            List<Dim> repeats = new ArrayList<>();
            for (int i = 0; i < Math.max(1, op.rank(0)); i++) {
                repeats.add(op.dim(1));
            }
            return Emit.one(op.node(OnnxOperator.TILE, List.of(op.input(0), op.sizes(repeats)), Attributes.none()));
        });
        table.emit(ARRAY, "repeat(int,long)", op -> Emit.one(repeat(op, op.input(0), op.shape(0),
                Emit.axis(op.fixed(1), op.rank(0)), op.fixed(2))));
        table.emit(ARRAY, "repeat(long)", op -> {
            String x = op.input(0);
            List<Dim> shape = new ArrayList<>(op.shape(0));
            for (int axis = 0; axis < shape.size(); axis++) {
                x = repeat(op, x, shape, axis, op.fixed(1));
                shape.set(axis, shape.get(axis).times(Dim.of(op.fixed(1))));
            }
            return Emit.one(x);
        });
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
        table.emit(ARRAY, "split(long,int)", ShapeOps::splitSections);
        table.emit(ARRAY, "split(long[],int)", ShapeOps::splitAt);
    }

    private static long[] allAxes(int rank) {
        return Emit.range(0, rank);
    }

    /** PyTorch squeezes only the axes of size 1; a dynamic axis is taken not to be 1. */
    private static List<String> squeeze(OpContext op, long[] candidates) {
        List<Dim> shape = op.shape(0);
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

    /** {@code sections} equal parts: PyTorch splits into parts of size {@code length / sections}. */
    private static List<String> splitSections(OpContext op) {
        int rank = op.rank(0);
        long axis = Emit.axis(op.fixed(2), rank);
        Dim length = op.shape(0).get((int) axis);
        long sections = op.fixed(1);
        if (sections == 1) {
            // One part is the whole array, whatever the axis's size (GhostBatchNorm at inference).
            return Emit.split(op, op.input(0), axis, new long[] {1});
        }
        if (!length.isFixed()) {
            throw op.unsupported("splitting dynamic axis " + axis + " (" + length + ") into sections");
        }
        long size = length.size() / sections;
        long[] sizes = new long[op.outputCount()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = Math.min(size, length.size() - i * size);
        }
        return Emit.split(op, op.input(0), axis, sizes);
    }

    /** Splits at the given indices along an axis. */
    private static List<String> splitAt(OpContext op) {
        int rank = op.rank(0);
        long axis = Emit.axis(op.fixed(2), rank);
        long[] sizes = new long[op.outputCount()];
        for (int i = 0; i < sizes.length; i++) {
            Dim dim = op.outputShape(i).get((int) axis);
            if (!dim.isFixed()) {
                throw op.unsupported("a split whose parts have dynamic sizes");
            }
            sizes[i] = dim.size();
        }
        return Emit.split(op, op.input(0), axis, sizes);
    }
}
