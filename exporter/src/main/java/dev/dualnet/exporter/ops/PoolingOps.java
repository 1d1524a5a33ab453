package dev.dualnet.exporter.ops;

import static dev.dualnet.exporter.ops.OpTable.EX;

import ai.djl.ndarray.types.DataType;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxOperator;
import java.util.Arrays;
import java.util.List;

/**
 * Pooling as the PyTorch engine computes it: max, average and Lp pooling over 1 to 3 spatial axes,
 * and the global pools.
 *
 * <p>Where PyTorch and ONNX differ:
 * <ul>
 *   <li>Ceil mode. PyTorch drops a last window that would start in the right padding, and an
 *       average over a window that hangs past the padded input divides by the part inside it. On
 *       static axes the exporter writes floor mode with the extra end padding that gives PyTorch's
 *       output size, so no runtime's or checker's reading of {@code ceil_mode} matters (the ONNX
 *       checker's shape inference keeps a window that starts in the padding). A dynamic axis with
 *       a stride over 1 keeps {@code ceil_mode}, which ONNX Runtime reads as PyTorch does.</li>
 *   <li>Average pooling always counts the padding: the engine's native call never passes
 *       {@code countIncludePad} on, so {@code false} computes the same as {@code true}. PyTorch's
 *       divisor is the window clipped to the padded input, where ONNX divides by the whole kernel;
 *       where ceil mode clips a window the exporter pads with zeros explicitly and averages without
 *       counting the extra end padding, which gives PyTorch's divisor.</li>
 *   <li>Max pooling takes every integer type in PyTorch, ONNX MaxPool only int8 and uint8: int16
 *       and int32 pool in float64, which holds them exactly.</li>
 *   <li>Lp pooling ignores its padding argument on this engine and is
 *       {@code (avg_pool(x^p) · kernel size)^(1/p)}: no absolute value (p = 1 sums signed values,
 *       odd p gives NaN for a negative sum), and a window clipped by ceil mode is scaled by
 *       kernel size over its clipped size. ONNX {@code LpPool} sums {@code |x|^p}, so it is written
 *       only for even integer p without clipped windows; otherwise the formula itself, which every
 *       opset from 13 expresses.</li>
 *   <li>Global pools return {@code [N, C]}: the engine pools to size 1 and drops the spatial axes.</li>
 * </ul>
 */
final class PoolingOps {
    private PoolingOps() {}

    static void register(OpTable table) {
        table.emit(EX, "maxPool(Shape,Shape,Shape,boolean)", PoolingOps::maxPool);
        table.emit(EX, "avgPool(Shape,Shape,Shape,boolean,boolean)", PoolingOps::avgPool);
        table.emit(EX, "lpPool(float,Shape,Shape,Shape,boolean)", PoolingOps::lpPool);
        table.emit(EX, "globalMaxPool()", op -> global(op, OnnxOperator.GLOBAL_MAX_POOL));
        table.emit(EX, "globalAvgPool()", op -> global(op, OnnxOperator.GLOBAL_AVERAGE_POOL));
        table.emit(EX, "globalLpPool(float)", PoolingOps::globalLpPool);
    }

    /**
     * The windows along each spatial axis. {@code extra} is the end padding, beyond PyTorch's own,
     * that makes floor mode give PyTorch's ceil-mode size on a static axis; {@code dynamicCeil}
     * marks axes whose size is dynamic in ceil mode, which need ONNX's {@code ceil_mode}.
     */
    private record Windows(long[] kernel, long[] strides, long[] padding, long[] extra, boolean[] dynamicCeil) {
        boolean anyExtra() {
            return Arrays.stream(extra).anyMatch(e -> e > 0);
        }

        boolean ceilMode() {
            for (boolean dynamic : dynamicCeil) {
                if (dynamic) {
                    return true;
                }
            }
            return false;
        }

        boolean anyPadding() {
            return Arrays.stream(padding).anyMatch(p -> p > 0);
        }

        /** Every begin, then every end. */
        long[] pads(long[] begin, long[] end) {
            long[] pads = new long[begin.length * 2];
            for (int i = 0; i < begin.length; i++) {
                pads[i] = begin[i];
                pads[i + begin.length] = end[i];
            }
            return pads;
        }

        Attributes attributes(long[] pads) {
            Attributes attributes = Attributes.none().ints("kernel_shape", kernel).ints("strides", strides)
                    .ints("pads", pads);
            return ceilMode() ? attributes.integer("ceil_mode", 1) : attributes;
        }
    }

    private static Windows windows(OpContext op, long[] kernel, long[] strides, long[] padding, boolean ceil) {
        List<Dim> shape = op.shape(0);
        int spatial = shape.size() - 2;
        if (spatial < 1 || spatial > 3) {
            throw op.unsupported("pooling of a rank-" + shape.size()
                    + " array; expected [N, C] and 1 to 3 spatial axes");
        }
        if (kernel.length != spatial || strides.length != spatial || padding.length != spatial) {
            throw op.unsupported("kernel " + Arrays.toString(kernel) + ", stride " + Arrays.toString(strides)
                    + " and padding " + Arrays.toString(padding) + " for " + spatial
                    + " spatial axes; each needs one value per axis");
        }
        long[] extra = new long[spatial];
        boolean[] dynamicCeil = new boolean[spatial];
        for (int i = 0; i < spatial; i++) {
            Dim size = shape.get(2 + i);
            if (!size.isFixed()) {
                // With stride 1 every window fits, so ceil mode changes nothing.
                dynamicCeil[i] = ceil && strides[i] > 1;
                continue;
            }
            long length = size.size();
            long span = length + 2 * padding[i] - kernel[i];
            long count = Math.floorDiv(ceil ? span + strides[i] - 1 : span, strides[i]) + 1;
            if (ceil && (count - 1) * strides[i] >= length + padding[i]) {
                count--;
            }
            Dim computed = op.outputShape(0).get(2 + i);
            if (computed.isFixed() && computed.size() != count) {
                throw op.unsupported("spatial axis " + i + " pools " + length + " into " + computed.size()
                        + " windows, where kernel " + kernel[i] + ", stride " + strides[i] + " and padding "
                        + padding[i] + " give " + count);
            }
            extra[i] = Math.max(0, (count - 1) * strides[i] + kernel[i] - (length + 2 * padding[i]));
        }
        return new Windows(kernel, strides, padding, extra, dynamicCeil);
    }

    /** Max pooling; padding never wins a window, so PyTorch's and the extra end padding are plain pads. */
    private static List<String> maxPool(OpContext op) {
        Windows windows = windows(op, op.fixedDims(1), op.fixedDims(2), op.fixedDims(3), op.arg(4, Boolean.class));
        DataType type = op.type(0);
        DataType pooled = maxPoolType(op, type);
        long[] end = new long[windows.padding().length];
        for (int i = 0; i < end.length; i++) {
            end[i] = windows.padding()[i] + windows.extra()[i];
        }
        String x = op.cast(op.input(0), type, pooled);
        String y = op.node(OnnxOperator.MAX_POOL, List.of(x), windows.attributes(windows.pads(windows.padding(), end)));
        return Emit.one(op.cast(y, pooled, type));
    }

    /**
     * The type ONNX MaxPool runs in: its own types as they are; other integers up to 32 bits in
     * float64, which holds them exactly.
     */
    private static DataType maxPoolType(OpContext op, DataType type) {
        return switch (type) {
            case FLOAT16, FLOAT32, FLOAT64, INT8, UINT8 -> type;
            case INT16, INT32, UINT16, UINT32 -> DataType.FLOAT64;
            default -> throw op.unsupported("max pooling of " + type
                    + " (ONNX MaxPool takes floating types, int8 and uint8; int16 and int32 go through float64)");
        };
    }

    /**
     * Average pooling that counts the padding as PyTorch does. Without ceil-mode clipping every
     * window lies inside the padded input and ONNX's {@code count_include_pad} divides by the
     * kernel size, as PyTorch does; otherwise the input is zero-padded explicitly and the average
     * leaves out only the extra end padding.
     */
    private static List<String> avgPool(OpContext op) {
        Windows windows = windows(op, op.fixedDims(1), op.fixedDims(2), op.fixedDims(3), op.arg(4, Boolean.class));
        String x = op.input(0);
        int spatial = windows.padding().length;
        if (!windows.anyExtra() && !windows.ceilMode()) {
            Attributes attributes = windows.attributes(windows.pads(windows.padding(), windows.padding()));
            if (windows.anyPadding()) {
                attributes = attributes.integer("count_include_pad", 1);
            }
            return Emit.one(op.node(OnnxOperator.AVERAGE_POOL, List.of(x), attributes));
        }
        for (int i = 0; i < spatial; i++) {
            if (windows.dynamicCeil()[i] && windows.padding()[i] > 0) {
                throw op.unsupported("average pooling in ceil mode with padding " + windows.padding()[i]
                        + " along dynamic spatial axis " + i + " (" + op.shape(0).get(2 + i) + "): the last window's"
                        + " divisor depends on the size; give that axis a fixed size or no padding");
            }
        }
        if (windows.anyPadding()) {
            long[] pads = new long[2 * (spatial + 2)];
            for (int i = 0; i < spatial; i++) {
                pads[2 + i] = windows.padding()[i];
                pads[spatial + 4 + i] = windows.padding()[i];
            }
            x = op.node(OnnxOperator.PAD, List.of(x, op.longs(pads)), Attributes.none());
        }
        Attributes attributes = windows.attributes(windows.pads(new long[spatial], windows.extra()))
                .integer("count_include_pad", 0);
        return Emit.one(op.node(OnnxOperator.AVERAGE_POOL, List.of(x), attributes));
    }

    /** {@code (avg_pool(x^p) · kernel size)^(1/p)}, as the engine computes it; its padding argument is not used. */
    private static List<String> lpPool(OpContext op) {
        double p = op.number(1);
        long[] kernel = op.fixedDims(2);
        long[] strides = op.fixedDims(3);
        Windows windows = windows(op, kernel, strides, new long[kernel.length], op.arg(5, Boolean.class));
        DataType type = op.outputType(0);
        String x = Emit.input(op, 0, type);
        if (evenInteger(p) && !windows.anyExtra() && !windows.ceilMode()) {
            Attributes attributes = windows.attributes(windows.pads(windows.padding(), windows.padding()))
                    .integer("p", (long) p);
            return Emit.one(op.node(OnnxOperator.LP_POOL, List.of(x), attributes));
        }
        String powered = op.node(OnnxOperator.POW, List.of(x, op.scalar(type, p)), Attributes.none());
        Attributes attributes = windows.attributes(windows.pads(windows.padding(), windows.extra()))
                .integer("count_include_pad", 0);
        String average = op.node(OnnxOperator.AVERAGE_POOL, List.of(powered), attributes);
        long size = Arrays.stream(kernel).reduce(1, Math::multiplyExact);
        String sum = op.node(OnnxOperator.MUL, List.of(average, op.scalar(type, size)), Attributes.none());
        return Emit.one(op.node(OnnxOperator.POW, List.of(sum, op.scalar(type, 1 / p)), Attributes.none()));
    }

    /** The global pool, then [N, C, 1, ...] to [N, C]. */
    private static List<String> global(OpContext op, OnnxOperator pool) {
        checkGlobalRank(op);
        String pooled = op.node(pool, List.of(op.input(0)), Attributes.none());
        return Emit.one(op.node(OnnxOperator.FLATTEN, List.of(pooled), Attributes.none().integer("axis", 1)));
    }

    /** One window over all spatial axes: {@code (Σ x^p)^(1/p)}, signed as in {@link #lpPool}. */
    private static List<String> globalLpPool(OpContext op) {
        checkGlobalRank(op);
        double p = op.number(1);
        DataType type = op.outputType(0);
        String x = Emit.input(op, 0, type);
        if (evenInteger(p)) {
            String pooled = op.node(OnnxOperator.GLOBAL_LP_POOL, List.of(x), Attributes.none().integer("p", (long) p));
            return Emit.one(op.node(OnnxOperator.FLATTEN, List.of(pooled), Attributes.none().integer("axis", 1)));
        }
        String powered = op.node(OnnxOperator.POW, List.of(x, op.scalar(type, p)), Attributes.none());
        String sum = Emit.reduce(op, OnnxOperator.REDUCE_SUM, powered, Emit.range(2, op.rank(0)), false);
        return Emit.one(op.node(OnnxOperator.POW, List.of(sum, op.scalar(type, 1 / p)), Attributes.none()));
    }

    private static void checkGlobalRank(OpContext op) {
        if (op.rank(0) < 3 || op.rank(0) > 5) {
            throw op.unsupported("global pooling of a rank-" + op.rank(0)
                    + " array; expected [N, C] and 1 to 3 spatial axes");
        }
    }

    /** Where {@code x^p = |x|^p}, so ONNX's LpPool computes what PyTorch does. */
    private static boolean evenInteger(double p) {
        return p > 0 && p == Math.rint(p) && p <= Integer.MAX_VALUE && ((long) p) % 2 == 0;
    }
}
