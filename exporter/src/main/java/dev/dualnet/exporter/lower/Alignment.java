package dev.dualnet.exporter.lower;

import ai.djl.ndarray.types.Shape;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.ops.OpSpec;
import dev.dualnet.exporter.trace.Args;
import dev.dualnet.exporter.trace.TensorRecord;
import dev.dualnet.exporter.trace.Trace;
import dev.dualnet.exporter.trace.TraceOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Lines up two traces of one forward pass taken at different sizes of the dynamic dimensions, and
 * proves them the same graph up to the numbers that derive from those sizes: the same operations,
 * wired alike, with the same types, flags and data. Every number that differs between the two (a
 * shape, a reshape target, an index bound) becomes a {@link Dim} in terms of the dynamic
 * dimensions, and every value whose operations involve no such number folds into a constant.
 *
 * <p>With no dynamic dimension there is one trace, and every number is fixed.
 */
final class Alignment {
    private final Trace first;
    private final Trace second;
    private final DimSolver solver;
    private final int opset;
    private final List<List<Dim>> shapes = new ArrayList<>();
    private final Map<Integer, Map<String, Dim>> leaves = new HashMap<>();
    private final boolean[] foldable;

    /**
     * @param second the trace at the second sizes, or null when no dimension is dynamic
     * @param sizes each dynamic dimension's size in the first and the second trace
     * @throws OnnxExportException ({@code NOT_DYNAMIC}) when the traces differ in more than those numbers
     */
    Alignment(Trace first, Trace second, Map<String, long[]> sizes, int opset) {
        this.first = first;
        this.second = second;
        this.solver = new DimSolver(sizes);
        this.opset = opset;
        this.foldable = new boolean[first.tensors().size()];
        if (second != null) {
            compareStructure();
        }
        for (TensorRecord tensor : first.tensors()) {
            shapes.add(shapeOf(tensor));
        }
        if (second != null) {
            List<TraceOp> ops = first.ops();
            for (int i = 0; i < ops.size(); i++) {
                // A shape-only result is compared by value where it is read (DJL's MultiBoxPrior
                // rewrites its own arguments on first use, so they differ between traces).
                if (ops.get(i).spec().kind() != OpSpec.Kind.SHAPE_ONLY) {
                    compareArgs(ops.get(i), second.ops().get(i));
                }
            }
        }
        markFoldable();
    }

    /** The shape of a value, dynamic where it differs between the traces. */
    List<Dim> shape(int id) {
        return shapes.get(id);
    }

    /** The dynamic numbers of an operation's arguments, keyed by {@link #key}. */
    Map<String, Dim> leaves(int op) {
        return leaves.getOrDefault(op, Map.of());
    }

    /** Whether a value is a constant of the graph: it depends on no input and on no dynamic size. */
    boolean foldable(int id) {
        return foldable[id];
    }

    /** Whether an operation's results all fold. */
    boolean foldable(TraceOp op) {
        return Arrays.stream(op.outputs()).allMatch(id -> foldable[id]);
    }

    Trace second() {
        return second;
    }

    /** The key of a number inside an argument: its path of positions ({@code 2}, {@code 2.0}, {@code 3.1.2}). */
    static String key(int... path) {
        StringBuilder key = new StringBuilder();
        for (int i = 0; i < path.length; i++) {
            if (i > 0) {
                key.append('.');
            }
            key.append(path[i]);
        }
        return key.toString();
    }

    private List<Dim> shapeOf(TensorRecord tensor) {
        long[] a = tensor.shape();
        if (second == null) {
            List<Dim> dims = new ArrayList<>(a.length);
            for (long size : a) {
                dims.add(Dim.of(size));
            }
            return dims;
        }
        long[] b = second.tensor(tensor.id()).shape();
        List<Dim> dims = new ArrayList<>(a.length);
        for (int axis = 0; axis < a.length; axis++) {
            Dim dim = solver.solve(a[axis], b[axis]);
            if (dim == null) {
                TraceOp producer = tensor.producer() >= 0 ? first.ops().get(tensor.producer()) : null;
                throw notDynamic("the size of axis " + axis + " of a value is " + a[axis] + " and " + b[axis]
                        + " at the two trace sizes, which no product of the dynamic dimensions gives", producer);
            }
            dims.add(dim);
        }
        return dims;
    }

    private void compareStructure() {
        if (first.ops().size() != second.ops().size() || first.tensors().size() != second.tensors().size()) {
            int at = firstDifference();
            TraceOp op = at < first.ops().size() ? first.ops().get(at) : null;
            throw notDynamic("the forward pass runs different operations at the two trace sizes ("
                    + first.ops().size() + " and " + second.ops().size() + "), first differing at "
                    + (op == null ? "its end" : op.spec().signature()) + "; it branches on a size", op);
        }
        for (int i = 0; i < first.ops().size(); i++) {
            TraceOp a = first.ops().get(i);
            TraceOp b = second.ops().get(i);
            if (a.spec().kind() != b.spec().kind() || !Objects.equals(a.spec().method(), b.spec().method())
                    || !Arrays.equals(a.outputs(), b.outputs())) {
                throw notDynamic("the forward pass runs " + a.spec().signature() + " at one trace size and "
                        + b.spec().signature() + " at the other; it branches on a size", a);
            }
        }
        for (int id = 0; id < first.tensors().size(); id++) {
            TensorRecord a = first.tensor(id);
            TensorRecord b = second.tensor(id);
            if (a.dataType() != b.dataType() || a.rank() != b.rank() || a.origin() != b.origin()
                    || a.constant() != b.constant()) {
                TraceOp op = a.producer() >= 0 ? first.ops().get(a.producer()) : null;
                throw notDynamic("a value has type " + a.dataType() + " and rank " + a.rank() + " at one trace size"
                        + " and " + b.dataType() + ", rank " + b.rank() + " at the other", op);
            }
        }
        if (!first.inputs().equals(second.inputs()) || !first.outputs().equals(second.outputs())) {
            throw notDynamic("the forward pass returns different values at the two trace sizes", null);
        }
    }

    private int firstDifference() {
        int n = Math.min(first.ops().size(), second.ops().size());
        for (int i = 0; i < n; i++) {
            if (!Objects.equals(first.ops().get(i).spec().method(), second.ops().get(i).spec().method())) {
                return i;
            }
        }
        return n;
    }

    private void compareArgs(TraceOp a, TraceOp b) {
        for (int i = 0; i < a.args().size(); i++) {
            compare(a, a.args().get(i), b.args().get(i), new int[] {i});
        }
    }

    private void compare(TraceOp op, Object a, Object b, int[] path) {
        if (a == null || b == null) {
            if (a != b) {
                throw differs(op, path, a, b);
            }
            return;
        }
        if (a instanceof Shape shapeA && b instanceof Shape shapeB) {
            numbers(op, shapeA.getShape(), shapeB.getShape(), path);
        } else if (a instanceof long[] longsA && b instanceof long[] longsB) {
            numbers(op, longsA, longsB, path);
        } else if (a instanceof int[] intsA && b instanceof int[] intsB) {
            numbers(op, Arrays.stream(intsA).asLongStream().toArray(), Arrays.stream(intsB).asLongStream().toArray(),
                    path);
        } else if (a instanceof Number numberA && b instanceof Number numberB) {
            number(op, numberA, numberB, path);
        } else if (a instanceof List<?> listA && b instanceof List<?> listB) {
            if (listA.size() != listB.size()) {
                throw differs(op, path, a, b);
            }
            for (int i = 0; i < listA.size(); i++) {
                compare(op, listA.get(i), listB.get(i), append(path, i));
            }
        } else if (a instanceof Args.Index indexA && b instanceof Args.Index indexB) {
            if (indexA.ellipsis() != indexB.ellipsis()) {
                throw differs(op, path, a, b);
            }
            compare(op, indexA.elements(), indexB.elements(), path);
        } else if (a instanceof Args.Slice sliceA && b instanceof Args.Slice sliceB) {
            compare(op, sliceA.start(), sliceB.start(), append(path, 0));
            compare(op, sliceA.stop(), sliceB.stop(), append(path, 1));
            compare(op, sliceA.step(), sliceB.step(), append(path, 2));
        } else if (a instanceof Args.Fixed fixedA && b instanceof Args.Fixed fixedB) {
            number(op, fixedA.index(), fixedB.index(), append(path, 0));
        } else if (a instanceof Args.Data dataA && b instanceof Args.Data dataB) {
            if (!Arrays.equals(dataA.bytes(), dataB.bytes())) {
                throw differs(op, path, "data", "other data");
            }
        } else if (a.getClass().isArray() && b.getClass().isArray()) {
            if (!Objects.deepEquals(a, b)) {
                throw differs(op, path, "data", "other data");
            }
        } else if (!a.equals(b)) {
            throw differs(op, path, a, b);
        }
    }

    private void numbers(TraceOp op, long[] a, long[] b, int[] path) {
        if (a.length != b.length) {
            throw differs(op, path, Arrays.toString(a), Arrays.toString(b));
        }
        for (int i = 0; i < a.length; i++) {
            number(op, a[i], b[i], append(path, i));
        }
    }

    private void number(TraceOp op, Number a, Number b, int[] path) {
        double da = a.doubleValue();
        double db = b.doubleValue();
        if (da == db) {
            return;
        }
        boolean integral = da == Math.rint(da) && db == Math.rint(db) && Math.abs(da) < 1e15 && Math.abs(db) < 1e15;
        Dim dim = integral ? solver.solve((long) da, (long) db) : null;
        if (dim == null) {
            throw differs(op, path, a, b);
        }
        leaves.computeIfAbsent(op.index(), k -> new HashMap<>()).put(key(path), dim);
    }

    private static int[] append(int[] path, int index) {
        int[] longer = Arrays.copyOf(path, path.length + 1);
        longer[path.length] = index;
        return longer;
    }

    private OnnxExportException differs(TraceOp op, int[] path, Object a, Object b) {
        return notDynamic("argument " + key(path) + " of " + op.spec().signature() + " is " + a + " at one trace size"
                + " and " + b + " at the other, which no product of the dynamic dimensions explains", op);
    }

    private OnnxExportException notDynamic(String message, TraceOp op) {
        return new OnnxExportException(OnnxExportException.Reason.NOT_DYNAMIC, message
                + "; export with those dimensions fixed, or choose other trace sizes",
                op == null ? null : op.blockPath(), op == null ? null : op.spec().signature(), opset, null);
    }

    private void markFoldable() {
        for (TensorRecord tensor : first.tensors()) {
            if (tensor.origin() == TensorRecord.Origin.PARAMETER || tensor.origin() == TensorRecord.Origin.CAPTURED) {
                foldable[tensor.id()] = true;
            }
        }
        for (TraceOp op : first.ops()) {
            boolean shapeOnly = op.spec().kind() == OpSpec.Kind.SHAPE_ONLY;
            boolean folds = op.constantInputs() && leaves(op.index()).isEmpty() && (shapeOnly || inputsFold(op.args()));
            for (int id : op.outputs()) {
                foldable[id] = folds && shapes.get(id).stream().allMatch(Dim::isFixed);
            }
        }
    }

    private boolean inputsFold(List<Object> args) {
        for (Object arg : args) {
            if (arg instanceof Args.Tensor tensor && !foldable[tensor.id()]) {
                return false;
            }
            if (arg instanceof Args.Tensors tensors && tensors.ids().stream().anyMatch(id -> !foldable[id])) {
                return false;
            }
            if (arg instanceof Args.Index index) {
                for (Object element : index.elements()) {
                    int id = element instanceof Args.Mask m ? m.id() : element instanceof Args.Pick p ? p.id()
                            : element instanceof Args.Take t ? t.id() : -1;
                    if (id >= 0 && !foldable[id]) {
                        return false;
                    }
                }
            }
        }
        return true;
    }
}
