package dev.dualnet.exporter.ops;

import static dev.dualnet.exporter.ops.OpTable.ARRAY;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxOperator;
import dev.dualnet.exporter.trace.Args;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Indexing: get with slices, fixed indices, new axes, ellipses, integer array indices and picks;
 * gather, gatherNd, take and boolean masks.
 *
 * <p>The PyTorch engine indexes as PyTorch does: integers and 0-d integer arrays select (the axis
 * goes), slices clamp their bounds to the axis and need a positive step, {@code null} inserts an
 * axis, and the integer arrays then index together ("advanced" indexing), their broadcast shape
 * taking the place of the first indexed axis when those axes are adjacent, else going first. A
 * pick in the index turns the whole get into {@code torch.gather} along the pick's axis.
 *
 * <p>A boolean mask selects a number of elements that depends on its data, which the exported
 * shapes (fixed sizes, or sizes derived from the dynamic dimensions) cannot say; a mask that is a
 * constant of the graph selects known positions and exports as a Gather of them.
 */
final class IndexingOps {
    private IndexingOps() {}

    static void register(OpTable table) {
        table.emit(ARRAY, "get(NDManager,NDIndex)", IndexingOps::getIndex);
        table.decompose(ARRAY, "get(NDIndex)");
        table.decompose(ARRAY, "get(String,Object[])");
        table.decompose(ARRAY, "get(long[])");
        table.decompose(ARRAY, "getScalar(long[])");
        // Emitted whole rather than followed, so that a boolean mask is an array argument whose constancy shows.
        table.emit(ARRAY, "get(NDArray)", IndexingOps::getArray);
        table.emit(ARRAY, "get(NDManager,long[])", IndexingOps::getItem);
        table.emit(ARRAY, "gather(NDArray,int)", IndexingOps::gather);
        // The engine's gatherNd scales the index's rows in place (through views of them); the trace
        // computes it on a copy, so that a constant index keeps its data for the graph.
        table.emit(ARRAY, "gatherNd(NDArray)", IndexingOps::gatherNd,
                (receiver, args) -> ((NDArray) receiver).gatherNd(((NDArray) args[0]).duplicate()));
        table.emit(ARRAY, "take(NDManager,NDArray)", IndexingOps::take);
        table.decompose(ARRAY, "take(NDArray)");
        table.emit(ARRAY, "booleanMask(NDArray,int)", IndexingOps::booleanMask);
        table.decompose(ARRAY, "booleanMask(NDArray)");
    }

    // ---------------------------------------------------------------------------------------------
    // The index, as PyTorch applies it

    /** One element of an index, with its numbers as dimensions (null where left out). */
    private sealed interface Item {}

    private record SliceItem(Dim start, Dim stop, Dim step) implements Item {}

    private record FixedItem(Dim index) implements Item {}

    /** An integer array index; a 0-d one selects like a fixed index. */
    private record TakeItem(int id) implements Item {}

    private enum AllItem implements Item {
        INSTANCE
    }

    private enum NewAxisItem implements Item {
        INSTANCE
    }

    /** An axis that the index removes: by a fixed position, or by a 0-d integer array. */
    private record Removal(int axis, Dim position, int arrayId) {}

    /** An integer array index and the axis it indexes once the basic indexing is done. */
    private record Advanced(int position, int id) {}

    private static final long END = Long.MAX_VALUE;

    private static List<String> getIndex(OpContext op) {
        Args.Index index = op.arg(2, Args.Index.class);
        List<Object> elements = index.elements();
        if (elements.isEmpty()) {
            // An index of rank 0 ("..." or nothing) returns the whole array.
            return Emit.one(identity(op));
        }
        if (elements.stream().anyMatch(e -> e instanceof Args.Pick)) {
            return Emit.one(pick(op, index));
        }
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < elements.size(); i++) {
            Object element = elements.get(i);
            if (element instanceof Args.Slice) {
                items.add(new SliceItem(op.indexDim(2, i, 0), op.indexDim(2, i, 1), op.indexDim(2, i, 2)));
            } else if (element instanceof Args.Fixed) {
                items.add(new FixedItem(op.indexDim(2, i, 0)));
            } else if (element == Args.All.INSTANCE) {
                items.add(AllItem.INSTANCE);
            } else if (element == Args.NewAxis.INSTANCE) {
                items.add(NewAxisItem.INSTANCE);
            } else if (element instanceof Args.Take take) {
                items.add(new TakeItem(take.id()));
            } else if (element instanceof Args.Mask) {
                throw op.unsupported("a boolean mask inside an index selects a number of elements that depends on"
                        + " the mask's data, which the exported shapes cannot express; index with a mask that is a"
                        + " constant through get(NDArray) or booleanMask(NDArray, int)");
            } else {
                throw op.unsupported("index element " + element);
            }
        }
        return Emit.one(index(op, op.input(0), op.shape(0), items, index.ellipsis()));
    }

    /** {@code get(NDManager, long...)}: PyTorch's integer indexing, one selected axis per number. */
    private static List<String> getItem(OpContext op) {
        List<Item> items = new ArrayList<>();
        for (Dim position : op.dims(2)) {
            items.add(new FixedItem(position));
        }
        if (items.isEmpty()) {
            return Emit.one(identity(op));
        }
        return Emit.one(index(op, op.input(0), op.shape(0), items, -1));
    }

    /** {@code get(NDArray)}: a boolean array masks, an integer or floating one indexes axis 0. */
    private static List<String> getArray(OpContext op) {
        if (op.type(1) == DataType.BOOLEAN) {
            return Emit.one(maskLeading(op));
        }
        int id = op.arg(1, Args.Tensor.class).id();
        return Emit.one(index(op, op.input(0), op.shape(0), List.of(new TakeItem(id)), -1));
    }

    /**
     * Applies an index as PyTorch does: slices and fixed positions (one Slice, then Gathers for
     * positions that derive from dynamic sizes, then one Squeeze), new axes (one Unsqueeze), then
     * the integer arrays together.
     */
    private static String index(OpContext op, String x, List<Dim> shape, List<Item> given, int ellipsis) {
        int rank = shape.size();
        int consumed = (int) given.stream().filter(i -> i != NewAxisItem.INSTANCE).count();
        if (consumed > rank) {
            throw op.unsupported("an index of " + consumed + " axes on an array of rank " + rank);
        }
        List<Item> items = new ArrayList<>(given);
        int at = ellipsis >= 0 ? ellipsis : items.size();
        for (int i = 0; i < rank - consumed; i++) {
            items.add(at, AllItem.INSTANCE);
        }

        List<Dim> starts = new ArrayList<>();
        List<Dim> ends = new ArrayList<>();
        List<Long> sliceAxes = new ArrayList<>();
        List<Dim> steps = new ArrayList<>();
        List<Removal> removals = new ArrayList<>();
        List<Long> newAxes = new ArrayList<>();
        List<Advanced> advanced = new ArrayList<>();
        int axis = 0;
        int position = 0;
        for (Item item : items) {
            if (item instanceof SliceItem slice) {
                if (slice.step() != null && !(slice.step().isFixed() && slice.step().factor() > 0)) {
                    throw op.unsupported("slice step " + slice.step() + "; PyTorch slices with positive steps only");
                }
                if (!isWhole(slice)) {
                    starts.add(slice.start() == null ? Dim.of(0) : slice.start());
                    ends.add(slice.stop() == null ? number(END) : slice.stop());
                    sliceAxes.add((long) axis);
                    steps.add(slice.step() == null ? Dim.of(1) : slice.step());
                }
                axis++;
                position++;
            } else if (item == AllItem.INSTANCE) {
                axis++;
                position++;
            } else if (item instanceof FixedItem fixed) {
                removals.add(new Removal(axis, fixed.index(), -1));
                axis++;
            } else if (item instanceof TakeItem take) {
                if (op.tensorShape(take.id()).isEmpty()) {
                    removals.add(new Removal(axis, null, take.id()));
                } else {
                    advanced.add(new Advanced(position, take.id()));
                    position++;
                }
                axis++;
            } else {
                newAxes.add((long) position);
                position++;
            }
        }

        String result = x;
        List<Long> squeezed = new ArrayList<>();
        if (!sliceAxes.isEmpty()) {
            // Fixed positions join the one Slice as slices of length 1 and go in one Squeeze.
            for (Removal removal : removals) {
                if (removal.position() != null && removal.position().isFixed()) {
                    long p = removal.position().factor();
                    starts.add(number(p));
                    ends.add(number(p == -1 ? END : p + 1));
                    sliceAxes.add((long) removal.axis());
                    steps.add(Dim.of(1));
                    squeezed.add((long) removal.axis());
                }
            }
            result = op.node(OnnxOperator.SLICE, List.of(result, op.sizes(starts), op.sizes(ends),
                    op.longs(sliceAxes.stream().mapToLong(Long::longValue).toArray()), op.sizes(steps)),
                    Attributes.none());
        }
        // Gathers from the last axis back, so the axes before each keep their numbers.
        List<Long> gathered = new ArrayList<>();
        for (int i = removals.size() - 1; i >= 0; i--) {
            Removal removal = removals.get(i);
            if (squeezed.contains((long) removal.axis())) {
                continue;
            }
            String selected = removal.position() != null ? op.size(removal.position())
                    : op.cast(op.tensor(removal.arrayId()), op.tensorType(removal.arrayId()), DataType.INT64);
            result = op.node(OnnxOperator.GATHER, List.of(result, selected),
                    Attributes.none().integer("axis", removal.axis()));
            gathered.add((long) removal.axis());
        }
        if (!squeezed.isEmpty()) {
            long[] axes = new long[squeezed.size()];
            for (int i = 0; i < axes.length; i++) {
                long a = squeezed.get(i);
                axes[i] = a - gathered.stream().filter(g -> g < a).count();
            }
            result = Emit.squeeze(op, result, axes);
        }
        if (!newAxes.isEmpty()) {
            result = Emit.unsqueeze(op, result, newAxes.stream().mapToLong(Long::longValue).toArray());
        }
        if (!advanced.isEmpty()) {
            result = advanced(op, result, position, advanced);
        }
        return result.equals(x) ? identity(op) : result;
    }

    /** A slice that keeps the whole axis. */
    private static boolean isWhole(SliceItem slice) {
        return (slice.start() == null || slice.start().equals(Dim.of(0))) && slice.stop() == null
                && (slice.step() == null || slice.step().equals(Dim.of(1)));
    }

    /**
     * The integer arrays of an index, applied to the basically indexed array: one array is a
     * Gather; several broadcast together and index through GatherND on their axes moved first,
     * and their broadcast shape moves back to the first indexed axis when the axes are adjacent.
     */
    private static String advanced(OpContext op, String x, int rank, List<Advanced> indices) {
        if (indices.size() == 1) {
            Advanced only = indices.get(0);
            return op.node(OnnxOperator.GATHER, List.of(x, int64(op, only.id())),
                    Attributes.none().integer("axis", only.position()));
        }
        List<List<Dim>> shapes = indices.stream().map(a -> op.tensorShape(a.id())).toList();
        List<Dim> broadcast = broadcast(op, shapes);
        int batch = broadcast.size();
        List<String> columns = new ArrayList<>();
        for (int i = 0; i < indices.size(); i++) {
            String index = int64(op, indices.get(i).id());
            if (!shapes.get(i).equals(broadcast)) {
                index = op.node(OnnxOperator.EXPAND, List.of(index, op.sizes(broadcast)), Attributes.none());
            }
            columns.add(Emit.unsqueeze(op, index, batch));
        }
        String tuples = op.node(OnnxOperator.CONCAT, columns, Attributes.none().integer("axis", batch));

        long[] front = new long[rank];
        List<Long> rest = new ArrayList<>();
        int k = 0;
        for (Advanced index : indices) {
            front[k++] = index.position();
        }
        for (int a = 0; a < rank; a++) {
            final long candidate = a;
            if (indices.stream().noneMatch(i -> i.position() == candidate)) {
                rest.add(candidate);
            }
        }
        for (long a : rest) {
            front[k++] = a;
        }
        String moved = isIdentity(front) ? x : Emit.transpose(op, x, front);
        String gathered = op.node(OnnxOperator.GATHER_ND, List.of(moved, tuples), Attributes.none());

        int first = indices.get(0).position();
        boolean adjacent = true;
        for (int i = 1; i < indices.size(); i++) {
            adjacent &= indices.get(i).position() == first + i;
        }
        if (!adjacent || first == 0) {
            return gathered;
        }
        // [broadcast..., rest...] -> [rest before the first indexed axis, broadcast..., the other rest]
        int outRank = batch + rest.size();
        long[] back = new long[outRank];
        int j = 0;
        for (int a = 0; a < first; a++) {
            back[j++] = batch + a;
        }
        for (int b = 0; b < batch; b++) {
            back[j++] = b;
        }
        for (int a = first; a < rest.size(); a++) {
            back[j++] = batch + a;
        }
        return Emit.transpose(op, gathered, back);
    }

    /** The shape integer arrays broadcast to, as PyTorch broadcasts them. */
    private static List<Dim> broadcast(OpContext op, List<List<Dim>> shapes) {
        int rank = shapes.stream().mapToInt(List::size).max().orElse(0);
        List<Dim> result = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            Dim chosen = Dim.of(1);
            for (List<Dim> shape : shapes) {
                int a = shape.size() - rank + i;
                if (a < 0) {
                    continue;
                }
                Dim dim = shape.get(a);
                if (dim.equals(Dim.of(1))) {
                    continue;
                }
                if (!chosen.equals(Dim.of(1)) && !chosen.equals(dim)) {
                    throw op.unsupported("index arrays of shapes " + shapes + " do not broadcast together");
                }
                chosen = dim;
            }
            result.add(chosen);
        }
        return result;
    }

    private static boolean isIdentity(long[] perm) {
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] != i) {
                return false;
            }
        }
        return true;
    }

    /**
     * A pick in the index: PyTorch gathers along the axis counted by the {@code :} before the pick
     * (an ellipsis does not count); an index of lower rank than the array, equal to its leading
     * axes, is first reshaped to {@code [s0, ..., s0, 1, ..., 1]} (its first size repeated over its
     * rank, then ones), as the engine does.
     */
    private static String pick(OpContext op, Args.Index index) {
        int axis = 0;
        int id = -1;
        for (Object element : index.elements()) {
            if (element == Args.All.INSTANCE) {
                if (id < 0) {
                    axis++;
                }
            } else if (element instanceof Args.Pick pick && id < 0) {
                id = pick.id();
            } else {
                throw op.unsupported("a pick together with " + element + "; a pick goes with ':' elements only");
            }
        }
        List<Dim> shape = op.shape(0);
        List<Dim> indexShape = op.tensorShape(id);
        String picks = int64(op, id);
        if (indexShape.size() != shape.size()) {
            int k = indexShape.size();
            if (k == 0 || k > shape.size() || !indexShape.equals(shape.subList(0, k))) {
                throw op.unsupported("a pick index of shape " + indexShape + " for an array of shape " + shape
                        + "; it needs the array's rank, or the array's leading sizes");
            }
            List<Dim> target = new ArrayList<>();
            for (int i = 0; i < shape.size(); i++) {
                target.add(i < k ? indexShape.get(0) : Dim.of(1));
            }
            picks = Emit.reshape(op, picks, indexShape, target);
        }
        return op.node(OnnxOperator.GATHER_ELEMENTS, List.of(op.input(0), picks),
                Attributes.none().integer("axis", axis));
    }

    // ---------------------------------------------------------------------------------------------
    // gather, gatherNd, take

    /** {@code torch.gather}: GatherElements. */
    private static List<String> gather(OpContext op) {
        long axis = Emit.axis(op.fixed(2), op.rank(0));
        return Emit.one(op.node(OnnxOperator.GATHER_ELEMENTS, List.of(op.input(0), Emit.input(op, 1, DataType.INT64)),
                Attributes.none().integer("axis", axis)));
    }

    /**
     * The engine's gatherNd: the index holds one row per leading axis of the data ({@code [M, ...]});
     * the rows combine into one linear position over those axes (in the index's type, as the engine
     * computes it), which takes from the data with its leading axes merged. Negative positions
     * therefore count from the end of the merged axes, as in the engine, not of each axis.
     */
    private static List<String> gatherNd(OpContext op) {
        List<Dim> shape = op.shape(0);
        List<Dim> indexShape = op.shape(1);
        DataType indexType = op.type(1);
        if (indexType == DataType.BOOLEAN) {
            throw op.unsupported("a boolean index for gatherNd; it needs integer positions");
        }
        if (indexShape.isEmpty() || !indexShape.get(0).isFixed()) {
            throw op.unsupported("an index of shape " + indexShape + " for gatherNd; its first axis, the number"
                    + " of data axes it indexes, must be a fixed size");
        }
        int depth = Math.toIntExact(indexShape.get(0).size());
        if (depth < 1 || depth > shape.size()) {
            throw op.unsupported("an index of depth " + depth + " for data of rank " + shape.size());
        }
        DataType type = indexType == DataType.INT32 || indexType == DataType.INT64 || indexType.isFloating()
                ? indexType : DataType.INT64;
        String index = op.cast(op.input(1), indexType, type);
        String linear = row(op, index, depth - 1);
        Dim stride = Dim.of(1);
        for (int i = depth - 2; i >= 0; i--) {
            stride = stride.times(shape.get(i + 1));
            String factor = stride.isFixed() ? op.scalar(type, stride.size())
                    : op.cast(op.size(stride), DataType.INT64, type);
            String term = op.node(OnnxOperator.MUL, List.of(row(op, index, i), factor), Attributes.none());
            linear = op.node(OnnxOperator.ADD, List.of(linear, term), Attributes.none());
        }
        String data = op.input(0);
        if (depth > 1) {
            Dim merged = Dim.of(1);
            for (int i = 0; i < depth; i++) {
                merged = merged.times(shape.get(i));
            }
            List<Dim> target = new ArrayList<>();
            target.add(merged);
            target.addAll(shape.subList(depth, shape.size()));
            data = Emit.reshape(op, data, shape, target);
        }
        return Emit.one(op.node(OnnxOperator.GATHER, List.of(data, op.cast(linear, type, DataType.INT64)),
                Attributes.none().integer("axis", 0)));
    }

    private static String row(OpContext op, String index, long row) {
        return op.node(OnnxOperator.GATHER, List.of(index, op.size(Dim.of(row))), Attributes.none().integer("axis", 0));
    }

    /** {@code torch.take}: positions in the flattened array. */
    private static List<String> take(OpContext op) {
        String flat = op.node(OnnxOperator.RESHAPE, List.of(op.input(0), op.longs(-1)), Attributes.none());
        return Emit.one(op.node(OnnxOperator.GATHER, List.of(flat, Emit.input(op, 2, DataType.INT64)),
                Attributes.none().integer("axis", 0)));
    }

    // ---------------------------------------------------------------------------------------------
    // Boolean masks

    /** {@code x[mask]}: the mask covers the leading axes, which the selected positions replace. */
    private static String maskLeading(OpContext op) {
        List<Dim> shape = op.shape(0);
        List<Dim> maskShape = op.shape(1);
        boolean[] mask = constantMask(op);
        int k = maskShape.size();
        if (k == 0 || k > shape.size() || !maskShape.equals(shape.subList(0, k))) {
            throw op.unsupported("a mask of shape " + maskShape + " for an array of shape " + shape
                    + "; it needs the array's leading sizes");
        }
        return select(op, op.input(0), shape, 0, mask);
    }

    /**
     * The engine's booleanMask: a mask of the array's shape selects into a 1-D array; a mask of the
     * shape from {@code axis} on selects within each position of the axes before it.
     */
    private static List<String> booleanMask(OpContext op) {
        List<Dim> shape = op.shape(0);
        List<Dim> maskShape = op.shape(1);
        boolean[] mask = constantMask(op);
        long axis = op.fixed(2);
        if (maskShape.equals(shape)) {
            return Emit.one(select(op, op.input(0), shape, 0, mask));
        }
        if (axis >= 0 && axis <= shape.size() && maskShape.equals(shape.subList((int) axis, shape.size()))) {
            return Emit.one(select(op, op.input(0), shape, (int) axis, mask));
        }
        throw op.unsupported("a mask of shape " + maskShape + " for an array of shape " + shape + " at axis " + axis);
    }

    private static boolean[] constantMask(OpContext op) {
        Optional<NDArray> mask = op.constant(1);
        if (mask.isEmpty()) {
            throw op.unsupported("a boolean mask computed in the forward pass selects a number of elements that"
                    + " depends on its data, which the exported shapes cannot express; only a mask that is a"
                    + " constant of the graph exports");
        }
        return mask.get().toBooleanArray();
    }

    /**
     * The positions a mask selects, taken from the axes it covers (from {@code axis}, as many as
     * the mask has) merged into one: Reshape, then Gather of the constant positions.
     */
    private static String select(OpContext op, String x, List<Dim> shape, int axis, boolean[] mask) {
        int covered = op.rank(1);
        List<Dim> target = new ArrayList<>(shape.subList(0, axis));
        target.add(Dim.of(mask.length));
        target.addAll(shape.subList(axis + covered, shape.size()));
        String merged = covered == 1 ? x : Emit.reshape(op, x, shape, target);
        int count = 0;
        for (boolean selected : mask) {
            count += selected ? 1 : 0;
        }
        long[] positions = new long[count];
        int next = 0;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                positions[next++] = i;
            }
        }
        return op.node(OnnxOperator.GATHER, List.of(merged, op.longs(positions)), Attributes.none().integer("axis", axis));
    }

    // ---------------------------------------------------------------------------------------------

    private static String identity(OpContext op) {
        return op.node(OnnxOperator.IDENTITY, List.of(op.input(0)), Attributes.none());
    }

    private static String int64(OpContext op, int id) {
        return op.cast(op.tensor(id), op.tensorType(id), DataType.INT64);
    }

    /** A possibly negative fixed number. */
    private static Dim number(long value) {
        return new Dim(value, List.of());
    }
}
