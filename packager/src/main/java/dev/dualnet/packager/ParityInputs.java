package dev.dualnet.packager;

import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.TensorSpec;
import dev.dualnet.exporter.onnx.proto.Onnx;
import dev.dualnet.parity.ParityBundle;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.Float16;
import dev.dualnet.runtime.NamedTensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * Inputs for a parity bundle: seeded random values that respect each input's element type, with
 * integer inputs kept inside the table they index where the graph shows one ({@link IndexRanges}).
 * The batch dimension takes the sample count; other dynamic dimensions take {@value #OTHER_SIZE}.
 */
public final class ParityInputs {
    /** The size of a dynamic dimension other than the batch in generated inputs. */
    static final long OTHER_SIZE = 5;
    /**
     * Values of an integer input that indexes no table: 0 or 1, which masks and flags take; other
     * ranges come from the user's own inputs.
     */
    static final long DEFAULT_BOUND = 2;

    private ParityInputs() {}

    /**
     * @param samples the batch size, for inputs that lead with a dynamic dimension
     * @param model the exported graph, read for index ranges
     */
    public static Map<String, NamedTensor> random(List<TensorSpec> specs, Onnx.ModelProto model, int samples,
            long seed) {
        Map<String, Long> bounds = IndexRanges.of(model, specs.stream()
                .filter(s -> s.dataType().isInteger()).map(TensorSpec::name).collect(Collectors.toSet()));
        Map<String, Long> sizes = sizes(specs, samples);
        Random random = new Random(seed);
        Map<String, NamedTensor> inputs = new LinkedHashMap<>();
        for (TensorSpec spec : specs) {
            long[] shape = spec.shape().stream().mapToLong(d -> d.evaluate(sizes::get)).toArray();
            ElementType type = DjlTensors.elementType(spec.dataType());
            long bound = bounds.getOrDefault(spec.name(), DEFAULT_BOUND);
            inputs.put(spec.name(), new NamedTensor(spec.name(), type, shape,
                    values(type, Math.toIntExact(NamedTensor.elementCount(shape)), bound, random)));
        }
        return inputs;
    }

    /** The batch dimension (the first input's leading dynamic dimension) takes the sample count. */
    static Map<String, Long> sizes(List<TensorSpec> specs, long samples) {
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (TensorSpec spec : specs) {
            for (int axis = 0; axis < spec.rank(); axis++) {
                Dim dim = spec.shape().get(axis);
                for (String symbol : dim.symbols()) {
                    sizes.putIfAbsent(symbol, sizes.isEmpty() && axis == 0 ? samples : OTHER_SIZE);
                }
            }
        }
        return sizes;
    }

    private static Object values(ElementType type, int count, long bound, Random random) {
        switch (type) {
            case FP32 -> {
                float[] values = new float[count];
                for (int i = 0; i < count; i++) {
                    values[i] = random.nextFloat();
                }
                return values;
            }
            case FP16 -> {
                short[] values = new short[count];
                for (int i = 0; i < count; i++) {
                    values[i] = Float16.fromFloat(random.nextFloat());
                }
                return values;
            }
            case FP64 -> {
                double[] values = new double[count];
                for (int i = 0; i < count; i++) {
                    values[i] = random.nextDouble();
                }
                return values;
            }
            case BOOL -> {
                boolean[] values = new boolean[count];
                for (int i = 0; i < count; i++) {
                    values[i] = random.nextBoolean();
                }
                return values;
            }
            case INT8, UINT8 -> {
                byte[] values = new byte[count];
                for (int i = 0; i < count; i++) {
                    values[i] = (byte) random.nextInt((int) Math.min(bound, 127));
                }
                return values;
            }
            case INT16 -> {
                short[] values = new short[count];
                for (int i = 0; i < count; i++) {
                    values[i] = (short) random.nextInt((int) Math.min(bound, Short.MAX_VALUE));
                }
                return values;
            }
            case INT32 -> {
                int[] values = new int[count];
                for (int i = 0; i < count; i++) {
                    values[i] = (int) (random.nextDouble() * Math.min(bound, Integer.MAX_VALUE));
                }
                return values;
            }
            case INT64 -> {
                long[] values = new long[count];
                for (int i = 0; i < count; i++) {
                    values[i] = (long) (random.nextDouble() * bound);
                }
                return values;
            }
            default -> throw new IllegalArgumentException("no random values of type " + type);
        }
    }

    /** NumPy's name of an element type, as bundles and messages write it. */
    static String typeName(ElementType type) {
        return ParityBundle.dtypeName(type);
    }
}
