package dev.dualnet.runtime.parity;

import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Runs a model on a parity bundle's inputs and compares every output with the bundle's. */
public final class ParityCheck {
    private static final int CHUNK = 512;

    private ParityCheck() {}

    /**
     * @return one comparison per bundle output, in bundle order
     * @throws InvalidInputException if the bundle's inputs do not fit the model
     */
    public static List<OutputComparison> run(OnnxModel model, ParityBundle bundle) {
        Map<String, float[]> actual = runAll(model, bundle);
        List<OutputComparison> comparisons = new ArrayList<>();
        for (ParityBundle.BundleTensor expected : bundle.outputs().values()) {
            TensorSpec spec = model.outputs().get(expected.name());
            float[] got = actual.get(expected.name());
            if (spec == null || got == null) {
                comparisons.add(new OutputComparison(expected.name(), false, false, 0, Double.NaN, Double.NaN,
                        expected.count(), 0, 0));
                continue;
            }
            boolean dtype = spec.type() == ElementType.FP32 && expected.dtype().equals("float32");
            int columns = (int) (expected.count() / expected.shape()[0]);
            OutputComparison comparison = OutputComparison.of(expected.name(), expected.floats(), got, columns,
                    bundle.atol(), bundle.rtol());
            comparisons.add(dtype ? comparison : new OutputComparison(comparison.name(), comparison.shapeMatches(),
                    false, comparison.elements(), comparison.maxAbsError(), comparison.maxRelError(),
                    comparison.outsideTolerance(), comparison.rows(), comparison.argmaxAgreements()));
        }
        return comparisons;
    }

    /** Whether every comparison passed. */
    public static boolean passed(List<OutputComparison> comparisons) {
        return !comparisons.isEmpty() && comparisons.stream().allMatch(OutputComparison::passed);
    }

    private static Map<String, float[]> runAll(OnnxModel model, ParityBundle bundle) {
        int count = bundle.count();
        Map<String, List<float[]>> parts = new LinkedHashMap<>();
        for (int from = 0; from < count; from += CHUNK) {
            int rows = Math.min(CHUNK, count - from);
            List<NamedTensor> feeds = new ArrayList<>();
            for (ParityBundle.BundleTensor input : bundle.inputs().values()) {
                feeds.add(slice(input, from, rows));
            }
            Map<String, NamedTensor> out = model.run(feeds, Set.copyOf(outputNames(model, bundle)));
            for (NamedTensor tensor : out.values()) {
                if (tensor.type() == ElementType.FP32) {
                    parts.computeIfAbsent(tensor.name(), k -> new ArrayList<>()).add((float[]) tensor.data());
                }
            }
        }
        Map<String, float[]> joined = new LinkedHashMap<>();
        parts.forEach((name, chunks) -> {
            int total = chunks.stream().mapToInt(c -> c.length).sum();
            float[] all = new float[total];
            int at = 0;
            for (float[] chunk : chunks) {
                System.arraycopy(chunk, 0, all, at, chunk.length);
                at += chunk.length;
            }
            joined.put(name, all);
        });
        return joined;
    }

    private static List<String> outputNames(OnnxModel model, ParityBundle bundle) {
        return bundle.outputs().keySet().stream().filter(model.outputs()::containsKey).toList();
    }

    private static NamedTensor slice(ParityBundle.BundleTensor input, int from, int rows) {
        long[] shape = input.shape();
        int rowSize = (int) (input.count() / shape[0]);
        long[] sliceShape = shape.clone();
        sliceShape[0] = rows;
        if (input.floats() != null) {
            return new NamedTensor(input.name(), ElementType.FP32, sliceShape,
                    Arrays.copyOfRange(input.floats(), from * rowSize, (from + rows) * rowSize));
        }
        return new NamedTensor(input.name(), ElementType.INT64, sliceShape,
                Arrays.copyOfRange(input.longs(), from * rowSize, (from + rows) * rowSize));
    }
}
