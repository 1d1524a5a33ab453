package dev.dualnet.parity;

import dev.dualnet.common.UserException;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.ModelLoadException;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.RuntimeOptions;
import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Runs a model on a parity bundle's inputs and compares every output with the bundle's. */
public final class ParityCheck {
    /** Samples per run: bounds the memory a large bundle takes in ONNX Runtime. */
    private static final int CHUNK = 512;

    private ParityCheck() {}

    /**
     * Checks an ONNX model against its parity bundle ({@code bundleDir}, or the one next to the
     * model), with the bundle's tolerance unless overridden.
     *
     * @param atol absolute tolerance, or null for the bundle's
     * @param rtol relative tolerance, or null for the bundle's
     * @throws UserException if the model or the bundle cannot be read, or they do not fit each other
     */
    public static ParityReport againstBundle(Path model, Path bundleDir, Double atol, Double rtol,
            RuntimeOptions options) {
        // The model is loaded first: without it, the bundle's default place means nothing.
        try (OnnxModel onnx = OnnxModel.load(model, options)) {
            Path dir = bundleDir != null ? bundleDir : ParityBundle.locate(model);
            ParityBundle bundle;
            try {
                bundle = ParityBundle.read(dir);
            } catch (IOException e) {
                throw new UserException(e.getMessage(), e);
            }
            return report("bundle", dir.toAbsolutePath().toString(), onnx, bundle, bundle.tolerance().override(atol, rtol));
        } catch (ModelLoadException e) {
            throw new UserException(e.getMessage(), e);
        }
    }

    /**
     * Compares a loaded model with any reference held as a bundle, on disk or built in memory.
     *
     * @param reference what the bundle's outputs come from ("engine", "bundle")
     * @param referencePath where they come from, for the report
     * @throws UserException if the bundle's inputs do not fit the model
     */
    public static ParityReport report(String reference, String referencePath, OnnxModel model, ParityBundle bundle,
            Tolerance tolerance) {
        List<TensorComparison> outputs;
        try {
            outputs = compare(model, bundle, tolerance);
        } catch (InvalidInputException e) {
            throw new UserException("the parity bundle's inputs do not fit " + model.path() + ": " + e.getMessage(), e);
        }
        return new ParityReport(reference, model.path().toString(), referencePath, model.executionProvider().name(),
                bundle.count(), tolerance, outputs);
    }

    /**
     * @return one comparison per bundle output, in bundle order
     * @throws InvalidInputException if the bundle's inputs do not fit the model
     */
    public static List<TensorComparison> compare(OnnxModel model, ParityBundle bundle, Tolerance tolerance) {
        Map<String, NamedTensor> actual = runAll(model, bundle);
        List<TensorComparison> comparisons = new ArrayList<>();
        for (NamedTensor expected : bundle.outputs().values()) {
            NamedTensor got = actual.get(expected.name());
            comparisons.add(got == null ? TensorComparison.missing(expected)
                    : TensorComparison.of(expected, got, tolerance));
        }
        return comparisons;
    }

    private static Map<String, NamedTensor> runAll(OnnxModel model, ParityBundle bundle) {
        int count = bundle.count();
        Set<String> wanted = Set.copyOf(bundle.outputs().keySet().stream().filter(model.outputs()::containsKey).toList());
        if (wanted.isEmpty()) {
            return Map.of();
        }
        if (!bundle.batched()) {
            return model.run(List.copyOf(bundle.inputs().values()), wanted);
        }
        Map<String, List<NamedTensor>> parts = new LinkedHashMap<>();
        for (int from = 0; from < count; from += CHUNK) {
            int rows = Math.min(CHUNK, count - from);
            List<NamedTensor> feeds = new ArrayList<>();
            for (NamedTensor input : bundle.inputs().values()) {
                feeds.add(rows(input, from, rows));
            }
            for (NamedTensor tensor : model.run(feeds, wanted).values()) {
                parts.computeIfAbsent(tensor.name(), k -> new ArrayList<>()).add(tensor);
            }
        }
        Map<String, NamedTensor> joined = new LinkedHashMap<>();
        parts.forEach((name, chunks) -> joined.put(name, join(name, chunks)));
        return joined;
    }

    /** Rows {@code from .. from + rows} of a tensor along its first dimension. */
    static NamedTensor rows(NamedTensor tensor, int from, int rows) {
        long[] shape = tensor.shape();
        int rowSize = shape[0] == 0 ? 0 : (int) (Array.getLength(tensor.data()) / shape[0]);
        if (from == 0 && rows == shape[0]) {
            return tensor;
        }
        shape[0] = rows;
        Object part = Array.newInstance(tensor.type().arrayType().getComponentType(), rows * rowSize);
        System.arraycopy(tensor.data(), from * rowSize, part, 0, rows * rowSize);
        return new NamedTensor(tensor.name(), tensor.type(), shape, part);
    }

    /** Chunks of one output, joined along the first dimension; chunks that disagree otherwise stay apart as a mismatch. */
    private static NamedTensor join(String name, List<NamedTensor> chunks) {
        if (chunks.size() == 1) {
            return chunks.get(0);
        }
        NamedTensor first = chunks.get(0);
        long[] shape = first.shape();
        if (shape.length == 0) {
            return first;
        }
        ElementType type = first.type();
        long total = 0;
        int length = 0;
        for (NamedTensor chunk : chunks) {
            long[] s = chunk.shape();
            s[0] = shape[0];
            if (chunk.type() != type || !java.util.Arrays.equals(s, shape)) {
                return first;
            }
            total += chunk.shape()[0];
            length += Array.getLength(chunk.data());
        }
        Object all = Array.newInstance(type.arrayType().getComponentType(), length);
        int at = 0;
        for (NamedTensor chunk : chunks) {
            int n = Array.getLength(chunk.data());
            System.arraycopy(chunk.data(), 0, all, at, n);
            at += n;
        }
        shape[0] = total;
        return new NamedTensor(name, type, shape, all);
    }
}
