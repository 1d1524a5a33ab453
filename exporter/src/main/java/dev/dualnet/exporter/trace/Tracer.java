package dev.dualnet.exporter.trace;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.index.dim.NDIndexAll;
import ai.djl.ndarray.index.dim.NDIndexBooleans;
import ai.djl.ndarray.index.dim.NDIndexElement;
import ai.djl.ndarray.index.dim.NDIndexFixed;
import ai.djl.ndarray.index.dim.NDIndexNull;
import ai.djl.ndarray.index.dim.NDIndexPick;
import ai.djl.ndarray.index.dim.NDIndexSlice;
import ai.djl.ndarray.index.dim.NDIndexTake;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.OnnxExportable;
import dev.dualnet.exporter.ops.OpSpec;
import dev.dualnet.exporter.ops.OpTable;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Runs a block's inference forward pass on recording arrays and writes down every operation that
 * ran.
 *
 * <p>The block sees arrays, a manager and a parameter store that behave like the engine's: each
 * operation is computed on the engine for real, so code that reads shapes keeps working, and is
 * recorded with its arguments. The arrays are {@link Proxy} implementations of {@code NDArray},
 * {@code NDArrayEx} and {@code NDManager}, so every method of those interfaces reaches the
 * tracer: a method the {@link OpTable} does not map fails the export as soon as it touches a value
 * computed from the inputs, naming the method and the block. Methods that only read or set
 * bookkeeping (shape, type, device, names, resource scopes) are answered directly.
 *
 * <p>Parameters come from the parameter store, and become values named by their block path.
 * Engine arrays that reach an operation from elsewhere (a block's own field, a manager outside the
 * trace) are recorded as constants. Java code that reads the data of a value computed from the
 * inputs fails, since a graph cannot hold that code.
 */
public final class Tracer {
    private static final long SEED = 20_240_607L;

    private final BlockTree tree;
    private final OpTable table;
    private final int opset;
    private final NDManager arrays;
    private final Trace trace;
    private final BlockPaths paths = new BlockPaths();
    private final NDManager managerProxy;
    private final Map<Parameter, NDArray> parameters = new IdentityHashMap<>();
    private final Map<NDArray, Parameter> parameterArrays = new IdentityHashMap<>();
    private final Map<NDArray, Integer> captured = new IdentityHashMap<>();
    private final Map<Object, TracedArray> handlers = new IdentityHashMap<>();
    private final Deque<String> calls = new ArrayDeque<>();
    private final Map<Method, String> signatures = new java.util.HashMap<>();
    private BlockTree.Node entry;
    private String lastPath = "";

    /** One graph input to trace with: its name, type and the concrete shape of this trace. */
    public record Input(String name, DataType dataType, Shape shape) {}

    private Tracer(BlockTree tree, OpTable table, int opset, NDManager engine) {
        this.tree = tree;
        this.table = table;
        this.opset = opset;
        this.arrays = engine.newSubManager();
        this.trace = new Trace(arrays);
        this.managerProxy = (NDManager) Proxy.newProxyInstance(NDManager.class.getClassLoader(),
                new Class<?>[] {NDManager.class}, new TracingManager());
        collectParameterArrays(tree.root());
    }

    /**
     * Traces one forward pass.
     *
     * @param opset the target opset, named in errors
     * @param engine the manager whose engine computes the trace; the trace's arrays live in a
     *     sub-manager of it until {@link Trace#close()}
     * @param andThen applied to the forward pass's results and traced with it; null for none
     * @throws OnnxExportException when the forward pass calls an unmapped method on traced values,
     *     lets a traced value escape into Java, or fails
     */
    public static Trace run(BlockTree tree, OpTable table, int opset, NDManager engine, List<Input> inputs,
            UnaryOperator<NDList> andThen) {
        Tracer tracer = new Tracer(tree, table, opset, engine);
        try {
            tracer.forward(inputs, andThen);
            tracer.trace.releaseComputed();
            return tracer.trace;
        } catch (RuntimeException | Error e) {
            tracer.trace.close();
            throw e;
        }
    }

    private void collectParameterArrays(BlockTree.Node node) {
        for (Pair<String, Parameter> entry : node.block().getDirectParameters()) {
            if (entry.getValue().isInitialized()) {
                parameterArrays.put(entry.getValue().getArray(), entry.getValue());
            }
        }
        node.children().forEach(this::collectParameterArrays);
    }

    private void forward(List<Input> inputs, UnaryOperator<NDList> andThen) {
        NDList list = new NDList();
        Random random = new Random(SEED);
        for (Input input : inputs) {
            NDArray value = exampleValue(input, random);
            TensorRecord record = trace.add(new TensorRecord(trace.nextTensorId(), value, TensorRecord.Origin.INPUT,
                    false, -1, input.name()));
            trace.input(record.id());
            list.add(proxy(record.id()));
        }
        NDList outputs;
        try {
            outputs = drive(tree.root(), list);
            if (andThen != null) {
                lastPath = "";
                outputs = andThen.apply(outputs);
            }
        } catch (OnnxExportException e) {
            throw e;
        } catch (RuntimeException e) {
            // The input shapes tell which trace size the block could not run at.
            String shapes = inputs.stream().map(i -> i.name() + " " + i.shape()).collect(Collectors.joining(", "));
            throw new OnnxExportException(OnnxExportException.Reason.FORWARD_FAILED,
                    "the forward pass failed while tracing with " + shapes + ": " + e, lastPath, calls.peekLast(),
                    opset, e);
        }
        for (NDArray output : outputs) {
            trace.output(idOf(output));
        }
    }

    /** Example input data: uniform [0, 1) for floating types, zeros for integers and false for booleans. */
    private NDArray exampleValue(Input input, Random random) {
        Shape shape = input.shape();
        if (input.dataType().isFloating()) {
            float[] data = new float[Math.toIntExact(shape.size())];
            for (int i = 0; i < data.length; i++) {
                data[i] = random.nextFloat();
            }
            return arrays.create(data, shape).toType(input.dataType(), false);
        }
        return arrays.zeros(shape, input.dataType());
    }

    /** Runs one block: the tracer steps through sequential blocks itself, so their children are known exactly. */
    private NDList drive(BlockTree.Node node, NDList inputs) {
        Block block = node.block();
        if (block instanceof OnnxExportable exportable) {
            return blockCall(node, exportable, inputs);
        }
        if (block.getClass() == SequentialBlock.class && !node.children().isEmpty()) {
            NDList current = inputs;
            NDList intermediate = new NDList();
            for (BlockTree.Node child : node.children()) {
                current = drive(child, current);
                intermediate.addAll(current);
            }
            return ((SequentialBlock) block).isReturnIntermediate() ? intermediate : current;
        }
        BlockTree.Node previousEntry = entry;
        entry = node;
        try {
            return block.forward(new TracingParameterStore(), inputs, false);
        } finally {
            entry = previousEntry;
        }
    }

    /** A block that writes its own subgraph: computed by its own forward on the engine, recorded as one operation. */
    private NDList blockCall(BlockTree.Node node, OnnxExportable exportable, NDList inputs) {
        lastPath = node.path();
        List<Object> recorded = new ArrayList<>();
        recorded.add(node);
        recorded.add(record(inputs));
        boolean constantInputs = constantInputs(recorded);
        NDList engineInputs = (NDList) unwrap(inputs);
        NDList results = node.block().forward(new ParameterStore(arrays, false), engineInputs, false);
        return wrapResults(OpSpec.block(op -> op.exportBlock(exportable)), recorded, results, constantInputs,
                node.path(), engineInputs);
    }

    // ---------------------------------------------------------------------------------------------
    // Values

    private NDArray proxy(int id) {
        TracedArray handler = new TracedArray(id);
        NDArray proxy = (NDArray) Proxy.newProxyInstance(NDArray.class.getClassLoader(),
                new Class<?>[] {NDArray.class}, handler);
        handler.proxy = proxy;
        handlers.put(proxy, handler);
        return proxy;
    }

    private TracedArray handler(Object array) {
        return array == null ? null : handlers.get(array);
    }

    private int idOf(NDArray array) {
        TracedArray handler = handler(array);
        return handler != null ? handler.id : capture(array);
    }

    private NDArray value(int id) {
        return trace.tensor(id).value();
    }

    /** An engine array from outside the trace: a parameter if it is one, else a constant. */
    private int capture(NDArray array) {
        Integer id = captured.get(array);
        if (id != null) {
            return id;
        }
        Parameter parameter = parameterArrays.get(array);
        TensorRecord record;
        if (parameter != null) {
            record = parameterRecord(parameter, array);
        } else {
            record = trace.add(new TensorRecord(trace.nextTensorId(), array, TensorRecord.Origin.CAPTURED, true, -1,
                    null));
        }
        captured.put(array, record.id());
        return record.id();
    }

    private NDArray parameter(Parameter parameter) {
        if (parameter == null) {
            return null;
        }
        NDArray existing = parameters.get(parameter);
        if (existing != null) {
            return existing;
        }
        if (!parameter.isInitialized()) {
            throw new OnnxExportException(OnnxExportException.Reason.FORWARD_FAILED, "parameter '"
                    + parameter.getName() + "' has no value: initialize the block or load its parameters first",
                    lastPath, null, opset, null);
        }
        NDArray array = parameter.getArray();
        Integer id = captured.get(array);
        TensorRecord record = id != null ? trace.tensor(id) : parameterRecord(parameter, array);
        captured.put(array, record.id());
        BlockTree.NamedParameter named = tree.parameter(parameter);
        if (named != null && entry != null) {
            paths.pin(named.owner(), entry);
        }
        NDArray proxy = proxy(record.id());
        parameters.put(parameter, proxy);
        return proxy;
    }

    private TensorRecord parameterRecord(Parameter parameter, NDArray array) {
        BlockTree.NamedParameter named = tree.parameter(parameter);
        String name = named != null ? named.name() : parameter.getName();
        if (named == null) {
            trace.warn("parameter '" + parameter.getName() + "' belongs to no block in the exported tree;"
                    + " it is exported as a constant named after it");
        }
        return trace.add(new TensorRecord(trace.nextTensorId(), array, TensorRecord.Origin.PARAMETER, true, -1, name));
    }

    // ---------------------------------------------------------------------------------------------
    // Arguments

    /** The argument as the trace records it. */
    private Object record(Object arg) {
        if (arg instanceof NDArray array) {
            return new Args.Tensor(idOf(array));
        }
        if (arg instanceof NDList list) {
            List<Integer> ids = new ArrayList<>(list.size());
            for (NDArray array : list) {
                ids.add(idOf(array));
            }
            return new Args.Tensors(ids);
        }
        if (arg instanceof NDIndex index) {
            return recordIndex(index);
        }
        if (arg instanceof NDManager || arg instanceof Device) {
            return Args.Placement.INSTANCE;
        }
        if (arg instanceof long[] values) {
            return values.clone();
        }
        if (arg instanceof int[] values) {
            return values.clone();
        }
        if (arg instanceof float[] values) {
            return values.clone();
        }
        if (arg instanceof double[] values) {
            return values.clone();
        }
        if (arg instanceof boolean[] values) {
            return values.clone();
        }
        if (arg instanceof byte[] values) {
            return values.clone();
        }
        if (arg instanceof Buffer buffer) {
            return new Args.Data(bytes(buffer));
        }
        if (arg instanceof List<?> list) {
            return List.copyOf(list);
        }
        return arg;
    }

    private List<Object> recordAll(Object receiver, Object[] args) {
        List<Object> recorded = new ArrayList<>(args.length + 1);
        recorded.add(receiver);
        for (Object arg : args) {
            recorded.add(record(arg));
        }
        return recorded;
    }

    private Args.Index recordIndex(NDIndex index) {
        List<Object> elements = new ArrayList<>();
        for (NDIndexElement element : index.getIndices()) {
            if (element instanceof NDIndexSlice slice) {
                elements.add(new Args.Slice(slice.getMin(), slice.getMax(), slice.getStep()));
            } else if (element instanceof NDIndexFixed fixed) {
                elements.add(new Args.Fixed(fixed.getIndex()));
            } else if (element instanceof NDIndexAll) {
                elements.add(Args.All.INSTANCE);
            } else if (element instanceof NDIndexNull) {
                elements.add(Args.NewAxis.INSTANCE);
            } else if (element instanceof NDIndexBooleans booleans) {
                elements.add(new Args.Mask(idOf(booleans.getIndex())));
            } else if (element instanceof NDIndexPick pick) {
                elements.add(new Args.Pick(idOf(pick.getIndex())));
            } else if (element instanceof NDIndexTake take) {
                elements.add(new Args.Take(idOf(take.getIndex())));
            } else {
                throw new OnnxExportException(OnnxExportException.Reason.UNSUPPORTED_ARGUMENTS,
                        "index element " + element.getClass().getSimpleName() + " is not supported", lastPath,
                        calls.peekLast(), opset, null);
            }
        }
        return new Args.Index(elements, index.getEllipsisIndex());
    }

    private static byte[] bytes(Buffer buffer) {
        ByteBuffer bytes;
        if (buffer instanceof ByteBuffer byteBuffer) {
            bytes = byteBuffer.duplicate();
        } else {
            throw new IllegalArgumentException("only ByteBuffer data is recorded, got " + buffer.getClass());
        }
        byte[] copy = new byte[bytes.remaining()];
        bytes.get(copy);
        return copy;
    }

    /** The argument as the engine takes it: traced arrays replaced by their engine arrays. */
    private Object unwrap(Object arg) {
        if (arg instanceof NDArray array) {
            TracedArray handler = handler(array);
            return handler != null ? value(handler.id) : array;
        }
        if (arg instanceof NDList list) {
            NDList engine = new NDList(list.size());
            for (NDArray array : list) {
                engine.add((NDArray) unwrap(array));
            }
            return engine;
        }
        if (arg == managerProxy) {
            return arrays;
        }
        if (arg instanceof NDIndex index) {
            return unwrapIndex(index);
        }
        return arg;
    }

    private NDIndex unwrapIndex(NDIndex index) {
        List<NDIndexElement> elements = index.getIndices();
        if (elements.stream().noneMatch(e -> e instanceof NDIndexPick)) {
            return unwrapAsText(index);
        }
        NDIndex engine = new NDIndex();
        for (int i = 0; i < elements.size(); i++) {
            if (i == index.getEllipsisIndex()) {
                engine.addEllipseDim();
            }
            NDIndexElement element = elements.get(i);
            if (element instanceof NDIndexBooleans booleans) {
                engine.addBooleanIndex((NDArray) unwrap(booleans.getIndex()));
            } else if (element instanceof NDIndexPick pick) {
                engine.addPickDim((NDArray) unwrap(pick.getIndex()));
            } else if (element instanceof NDIndexTake take) {
                engine.addIndices("{}", unwrap(take.getIndex()));
            } else if (element instanceof NDIndexSlice slice) {
                engine.addIndices(sliceText(slice));
            } else if (element instanceof NDIndexFixed fixed) {
                engine.addIndices(fixed.getIndex());
            } else if (element instanceof NDIndexAll) {
                engine.addAllDim();
            } else if (element instanceof NDIndexNull) {
                engine.addIndices("null");
            }
        }
        if (index.getEllipsisIndex() == elements.size()) {
            engine.addEllipseDim();
        }
        return engine;
    }

    /**
     * The index rebuilt by one {@code addIndices(String, Object...)} call: each such call made after
     * an ellipsis lowers the index's rank by one, and the engine reads a rank of 0 as "all of the
     * array" and appends a {@code :}, which shifts a trailing slice or new axis by one axis.
     */
    private NDIndex unwrapAsText(NDIndex index) {
        List<NDIndexElement> elements = index.getIndices();
        List<String> items = new ArrayList<>();
        List<Object> args = new ArrayList<>();
        for (int i = 0; i <= elements.size(); i++) {
            if (i == index.getEllipsisIndex()) {
                items.add("...");
            }
            if (i == elements.size()) {
                break;
            }
            NDIndexElement element = elements.get(i);
            if (element instanceof NDIndexBooleans booleans) {
                items.add("{}");
                args.add(unwrap(booleans.getIndex()));
            } else if (element instanceof NDIndexTake take) {
                items.add("{}");
                args.add(unwrap(take.getIndex()));
            } else if (element instanceof NDIndexSlice slice) {
                items.add(sliceText(slice));
            } else if (element instanceof NDIndexFixed fixed) {
                items.add(Long.toString(fixed.getIndex()));
            } else if (element instanceof NDIndexAll) {
                items.add(":");
            } else if (element instanceof NDIndexNull) {
                items.add("null");
            }
        }
        return items.isEmpty() ? new NDIndex() : new NDIndex(String.join(",", items), args.toArray());
    }

    private static String sliceText(NDIndexSlice slice) {
        return (slice.getMin() == null ? "" : slice.getMin().toString()) + ":"
                + (slice.getMax() == null ? "" : slice.getMax().toString())
                + (slice.getStep() == null ? "" : ":" + slice.getStep());
    }

    private Object[] unwrapAll(Object[] args) {
        Object[] engine = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            engine[i] = unwrap(args[i]);
        }
        return engine;
    }

    private boolean constantInputs(List<Object> recorded) {
        for (Object arg : recorded) {
            if (arg instanceof Args.Tensor tensor && !trace.tensor(tensor.id()).constant()) {
                return false;
            }
            if (arg instanceof Args.Tensors tensors
                    && tensors.ids().stream().anyMatch(id -> !trace.tensor(id).constant())) {
                return false;
            }
            if (arg instanceof Args.Index index && !constantIndex(index)) {
                return false;
            }
        }
        return true;
    }

    private boolean constantIndex(Args.Index index) {
        for (Object element : index.elements()) {
            int id = element instanceof Args.Mask m ? m.id() : element instanceof Args.Pick p ? p.id()
                    : element instanceof Args.Take t ? t.id() : -1;
            if (id >= 0 && !trace.tensor(id).constant()) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------
    // Operations

    /**
     * Computes and records one operation.
     *
     * @param receiverId the array the method was called on (or whose {@code NDArrayEx} it was), -1 for the manager
     */
    private Object operation(int receiverId, Object engineReceiver, Method method, Object[] args) throws Throwable {
        OpSpec spec = table.find(method);
        List<Object> recorded = recordAll(receiverId < 0 ? Args.Placement.INSTANCE : new Args.Tensor(receiverId), args);
        boolean constantInputs = spec != null && spec.kind() == OpSpec.Kind.SHAPE_ONLY || constantInputs(recorded);
        String path = currentPath();
        if (spec == null) {
            if (!constantInputs) {
                throw new OnnxExportException(OnnxExportException.Reason.UNMAPPED_OPERATION, OpSpec.signature(method)
                        + " has no ONNX mapping, and here it computes on values that depend on the model's inputs",
                        path, calls.peekLast(), opset, null);
            }
            spec = OpSpec.foldOnly(method);
        }
        Object[] engineArgs = unwrapAll(args);
        Object result = spec.computation().compute(engineReceiver, engineArgs);
        if (result instanceof NDArray array) {
            NDList results = wrapResults(spec, recorded, new NDList(array), constantInputs, path, engineArgs,
                    engineReceiver);
            return results.get(0);
        }
        if (result instanceof NDList list) {
            return wrapResults(spec, recorded, list, constantInputs, path, engineArgs, engineReceiver);
        }
        throw new IllegalStateException(OpSpec.signature(method) + " returned " + result);
    }

    private NDList wrapResults(OpSpec spec, List<Object> recorded, NDList results, boolean constantInputs,
            String path, Object... engineArguments) {
        int opIndex = trace.nextOpIndex();
        int[] outputs = new int[results.size()];
        NDList wrapped = new NDList(results.size());
        for (int i = 0; i < results.size(); i++) {
            NDArray result = results.get(i);
            if (!isArgument(result, engineArguments)) {
                result.attach(arrays);
            }
            TensorRecord record = trace.add(new TensorRecord(trace.nextTensorId(), result,
                    TensorRecord.Origin.COMPUTED, constantInputs, opIndex, null));
            outputs[i] = record.id();
            wrapped.add(proxy(record.id()));
        }
        trace.add(new TraceOp(opIndex, spec, recorded, outputs, path, constantInputs));
        return wrapped;
    }

    private static boolean isArgument(NDArray result, Object[] engineArguments) {
        for (Object argument : engineArguments) {
            if (argument == result) {
                return true;
            }
            if (argument instanceof NDList list && list.stream().anyMatch(a -> a == result)) {
                return true;
            }
            if (argument instanceof Object[] nested && isArgument(result, nested)) {
                return true;
            }
            if (argument instanceof NDArrayEx ex && ex.getArray() == result) {
                return true;
            }
        }
        return false;
    }

    /** A method that returns data rather than arrays: allowed on constants only. */
    private Object dataRead(int receiverId, Object engineReceiver, Method method, Object[] args) throws Throwable {
        List<Object> recorded = recordAll(receiverId < 0 ? Args.Placement.INSTANCE : new Args.Tensor(receiverId), args);
        if (!constantInputs(recorded)) {
            throw new OnnxExportException(OnnxExportException.Reason.VALUE_ESCAPES_TRACE,
                    "value escapes the trace: " + calls.peekLast() + " reads the data of an array computed from"
                    + " the model's inputs, and a graph cannot hold the Java code that uses it", currentPath(),
                    calls.peekLast(), opset, null);
        }
        try {
            return method.invoke(engineReceiver, unwrapAll(args));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private String currentPath() {
        if (entry == null) {
            return lastPath;
        }
        StringBuilder unresolved = new StringBuilder();
        BlockTree.Node node = paths.resolve(entry, unresolved);
        for (BlockTree.Node above = node; above != null && above != entry; above = above.parent()) {
            if (above.block() instanceof OnnxExportable) {
                trace.warn("block '" + above.path() + "' implements OnnxExportable but runs inside the forward of '"
                        + entry.path() + "', which the exporter traces as a whole; it is traced, not exported by"
                        + " its own method");
            }
        }
        lastPath = unresolved.length() == 0 ? node.path() : BlockTree.join(node.path(), unresolved.toString());
        return lastPath;
    }

    /** A proxied call's work. */
    @FunctionalInterface
    private interface Call {
        Object run() throws Throwable;
    }

    /** Runs a proxied call, keeping the stack of calls whose outermost one errors name. */
    private Object within(Method method, Call call) throws Throwable {
        boolean outermost = calls.isEmpty();
        calls.push(signature(method));
        try {
            return call.run();
        } finally {
            calls.pop();
            if (outermost) {
                calls.clear();
            }
        }
    }

    private String signature(Method method) {
        return signatures.computeIfAbsent(method, OpSpec::signature);
    }

    private static boolean returnsArrays(Method method) {
        Class<?> type = method.getReturnType();
        return NDArray.class.isAssignableFrom(type) || type == NDList.class;
    }

    // ---------------------------------------------------------------------------------------------
    // The proxies

    /** Behind each recording array. */
    private final class TracedArray implements InvocationHandler {
        private int id;
        private NDArray proxy;
        private NDArrayEx ex;
        private String name;

        TracedArray(int id) {
            this.id = id;
        }

        @Override
        public Object invoke(Object self, Method method, Object[] rawArgs) throws Throwable {
            Object[] args = rawArgs == null ? new Object[0] : rawArgs;
            return within(method, () -> dispatch(method, args));
        }

        private Object dispatch(Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "equals":
                    if (method.getParameterCount() == 1 && method.getParameterTypes()[0] == Object.class) {
                        return proxy == args[0];
                    }
                    break;
                case "hashCode":
                    if (method.getParameterCount() == 0) {
                        return System.identityHashCode(proxy);
                    }
                    break;
                case "toString":
                    if (method.getParameterCount() == 0) {
                        TensorRecord record = trace.tensor(id);
                        return "traced array #" + id + " " + new Shape(record.shape()) + " " + record.dataType();
                    }
                    break;
                default:
                    break;
            }
            Object answer = bookkeeping(method, args);
            if (answer != NOT_BOOKKEEPING) {
                return answer;
            }
            OpSpec spec = table.find(method);
            if (spec != null && spec.kind() == OpSpec.Kind.DECOMPOSE) {
                return InvocationHandler.invokeDefault(proxy, method, args);
            }
            if (spec != null && spec.kind() == OpSpec.Kind.IN_PLACE) {
                NDArray result = (NDArray) operation(id, value(id), method, args);
                id = handler(result).id;
                return proxy;
            }
            if (spec == null && !returnsArrays(method)) {
                if (method.getReturnType() == void.class) {
                    throw new OnnxExportException(OnnxExportException.Reason.UNMAPPED_OPERATION, OpSpec.signature(method)
                            + " changes an array in place, which the exporter does not follow; compute a new array"
                            + " instead", currentPath(), calls.peekLast(), opset, null);
                }
                return dataRead(id, value(id), method, args);
            }
            return operation(id, value(id), method, args);
        }

        private Object bookkeeping(Method method, Object[] args) {
            TensorRecord record = trace.tensor(id);
            switch (method.getName()) {
                case "getShape":
                    return new Shape(record.shape());
                case "getDataType":
                    return record.dataType();
                case "getDevice":
                    return arrays.getDevice();
                case "getManager":
                    return managerProxy;
                case "getName":
                    return name;
                case "setName":
                    name = (String) args[0];
                    return null;
                case "getUid":
                    return "traced-" + id;
                case "getSparseFormat":
                    return SparseFormat.DENSE;
                case "isReleased":
                case "hasGradient":
                    return false;
                case "setRequiresGradient":
                case "close":
                case "attach":
                case "tempAttach":
                case "detach":
                case "returnResource":
                    return null;
                case "stopGradient":
                    return proxy;
                case "getNDArrayInternal":
                    if (ex == null) {
                        ex = (NDArrayEx) Proxy.newProxyInstance(NDArrayEx.class.getClassLoader(),
                                new Class<?>[] {NDArrayEx.class}, new TracedEx(this));
                    }
                    return ex;
                case "getGradient":
                    throw new OnnxExportException(OnnxExportException.Reason.FORWARD_FAILED,
                            "gradients do not exist in an inference trace", currentPath(), calls.peekLast(), opset, null);
                default:
                    return NOT_BOOKKEEPING;
            }
        }
    }

    private static final Object NOT_BOOKKEEPING = new Object();

    /** Behind the {@code NDArrayEx} of a recording array. */
    private final class TracedEx implements InvocationHandler {
        private final TracedArray array;

        TracedEx(TracedArray array) {
            this.array = array;
        }

        @Override
        public Object invoke(Object self, Method method, Object[] rawArgs) throws Throwable {
            Object[] args = rawArgs == null ? new Object[0] : rawArgs;
            switch (method.getName()) {
                case "getArray":
                    return array.proxy;
                case "equals":
                    return self == args[0];
                case "hashCode":
                    return System.identityHashCode(self);
                case "toString":
                    return "NDArrayEx of " + array.proxy;
                default:
                    break;
            }
            return within(method, () -> {
                OpSpec spec = table.find(method);
                if (spec != null && spec.kind() == OpSpec.Kind.DECOMPOSE) {
                    return InvocationHandler.invokeDefault(self, method, args);
                }
                NDArrayEx engine = value(array.id).getNDArrayInternal();
                if (spec == null && !returnsArrays(method)) {
                    throw new OnnxExportException(OnnxExportException.Reason.UNMAPPED_OPERATION,
                            OpSpec.signature(method) + " has no ONNX mapping", currentPath(), calls.peekLast(), opset, null);
                }
                if (spec != null && spec.kind() == OpSpec.Kind.IN_PLACE) {
                    NDArray result = (NDArray) operation(array.id, engine, method, args);
                    array.id = handler(result).id;
                    return array.proxy;
                }
                return operation(array.id, engine, method, args);
            });
        }
    }

    /** Behind the manager that recording arrays report, so arrays made from it are recorded too. */
    private final class TracingManager implements InvocationHandler {
        @Override
        public Object invoke(Object self, Method method, Object[] rawArgs) throws Throwable {
            Object[] args = rawArgs == null ? new Object[0] : rawArgs;
            switch (method.getName()) {
                case "equals":
                    return self == args[0];
                case "hashCode":
                    return System.identityHashCode(self);
                case "toString":
                    return "tracing manager";
                case "newSubManager":
                case "getParentManager":
                    return self;
                case "getDevice":
                case "defaultDevice":
                    return arrays.getDevice();
                case "getEngine":
                    return arrays.getEngine();
                case "getName":
                    return "tracing";
                case "isOpen":
                    return true;
                case "setName":
                case "attachInternal":
                case "attachUncappedInternal":
                case "detachInternal":
                case "tempAttachInternal":
                case "cap":
                case "close":
                    return null;
                case "from":
                    NDArray array = (NDArray) args[0];
                    return handler(array) != null ? array : proxy(capture(array));
                default:
                    break;
            }
            return within(method, () -> {
                OpSpec spec = table.find(method);
                if (spec != null && spec.kind() == OpSpec.Kind.DECOMPOSE) {
                    return InvocationHandler.invokeDefault(self, method, args);
                }
                if (method.isDefault() && !returnsArrays(method)) {
                    return InvocationHandler.invokeDefault(self, method, args);
                }
                if (!returnsArrays(method)) {
                    throw new OnnxExportException(OnnxExportException.Reason.UNMAPPED_OPERATION,
                            OpSpec.signature(method) + " is not supported while tracing", currentPath(),
                            calls.peekLast(), opset, null);
                }
                return operation(-1, arrays, method, args);
            });
        }
    }

    /** The store blocks read their parameters from during the trace. */
    private final class TracingParameterStore extends ParameterStore {
        TracingParameterStore() {
            super(managerProxy, false);
        }

        @Override
        public NDArray getValue(Parameter parameter, Device device, boolean training) {
            return parameter(parameter);
        }
    }
}
