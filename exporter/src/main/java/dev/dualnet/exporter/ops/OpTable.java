package dev.dualnet.exporter.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.internal.NDArrayEx;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every DJL method the tracer follows, with its ONNX mapping: one entry per {@code NDArray},
 * {@code NDArrayEx} and {@code NDManager} method. A method with no entry fails the export when it
 * touches a value computed from the inputs.
 *
 * <p>The mappings live in one class per family of operations ({@link ElementwiseOps},
 * {@link NeuralNetworkOps}, ...); this class only holds them.
 */
public final class OpTable {
    private static final Logger LOG = LoggerFactory.getLogger(OpTable.class);

    private final Map<Method, OpSpec> specs = new HashMap<>();
    private final Map<Class<?>, Method[]> methods = new HashMap<>();
    private final List<String> missing = new ArrayList<>();

    private OpTable() {}

    /** Every mapping the exporter ships. */
    public static OpTable standard() {
        OpTable table = new OpTable();
        ElementwiseOps.register(table);
        ActivationOps.register(table);
        NeuralNetworkOps.register(table);
        PoolingOps.register(table);
        ReductionOps.register(table);
        ShapeOps.register(table);
        IndexingOps.register(table);
        CreationOps.register(table);
        RecurrentOps.register(table);
        if (!table.missing.isEmpty()) {
            LOG.debug("DJL methods not in this DJL version, not mapped: {}", table.missing);
        }
        return table;
    }

    /** The mapping of a method, or null. */
    public OpSpec find(Method method) {
        return specs.get(method);
    }

    /** The mapped methods' signatures, sorted. */
    public List<String> signatures() {
        List<String> all = specs.values().stream().map(OpSpec::signature).sorted().collect(Collectors.toList());
        return Collections.unmodifiableList(all);
    }

    /** Maps a method of {@code NDArray} ({@code "add(NDArray)"}), {@code NDArrayEx} or {@code NDManager}. */
    OpTable emit(Class<?> owner, String signature, Emitter emitter) {
        Method method = resolve(owner, signature);
        if (method != null) {
            specs.put(method, new OpSpec(method, OpSpec.Kind.EMIT, emitter, OpSpec.invoking(method)));
        }
        return this;
    }

    /**
     * Maps a method the engine does not compute itself (the PyTorch engine has no PReLU kernel, for
     * one): the trace computes it as DJL defines it.
     */
    OpTable emit(Class<?> owner, String signature, Emitter emitter, OpSpec.Computation computation) {
        Method method = resolve(owner, signature);
        if (method != null) {
            specs.put(method, new OpSpec(method, OpSpec.Kind.EMIT, emitter, computation));
        }
        return this;
    }

    /** Follows a default method through the methods it calls. */
    OpTable decompose(Class<?> owner, String signature) {
        Method method = resolve(owner, signature);
        if (method != null) {
            if (!method.isDefault()) {
                throw new IllegalStateException(signature + " has no default implementation to follow");
            }
            specs.put(method, new OpSpec(method, OpSpec.Kind.DECOMPOSE, null, null));
        }
        return this;
    }

    /** A method whose result depends on the shapes of its arrays, not their data: it folds where they are fixed. */
    OpTable shapeOnly(Class<?> owner, String signature) {
        Method method = resolve(owner, signature);
        if (method != null) {
            specs.put(method, new OpSpec(method, OpSpec.Kind.SHAPE_ONLY, null, OpSpec.invoking(method)));
        }
        return this;
    }

    /**
     * Maps an in-place method of {@code NDArray} to the emitter of its out-of-place twin, which must
     * be mapped already. The trace computes the in-place method itself, on a copy of the array: its
     * result keeps the array's type, as DJL's does ({@code int32.addi(int64)} stays int32, where
     * {@code add} gives int64), and the array the trace holds keeps its value.
     */
    OpTable inPlace(Class<?> owner, String signature, String outOfPlace) {
        if (owner != ARRAY) {
            throw new IllegalStateException("in-place methods are followed on NDArray only: " + signature);
        }
        Method method = resolve(owner, signature);
        Method twin = resolve(owner, outOfPlace);
        if (method != null && twin != null) {
            OpSpec target = specs.get(twin);
            if (target == null || target.kind() != OpSpec.Kind.EMIT) {
                throw new IllegalStateException(outOfPlace + " must be mapped before " + signature);
            }
            OpSpec.Computation inPlace = OpSpec.invoking(method);
            specs.put(method, new OpSpec(method, OpSpec.Kind.IN_PLACE, target.emitter(),
                    (receiver, args) -> inPlace.compute(((NDArray) receiver).duplicate(), args)));
        }
        return this;
    }

    static final Class<?> ARRAY = NDArray.class;
    static final Class<?> EX = NDArrayEx.class;
    static final Class<?> MANAGER = NDManager.class;

    private Method resolve(Class<?> owner, String signature) {
        int open = signature.indexOf('(');
        String name = signature.substring(0, open);
        List<String> params = Arrays.stream(signature.substring(open + 1, signature.length() - 1).split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).toList();
        for (Method method : methods.computeIfAbsent(owner, Class::getMethods)) {
            if (method.getName().equals(name) && method.getParameterCount() == params.size()
                    && Arrays.stream(method.getParameterTypes()).map(Class::getSimpleName).toList().equals(params)) {
                return method;
            }
        }
        missing.add(owner.getSimpleName() + "." + signature);
        return null;
    }
}
