package dev.dualnet.exporter.lower;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import com.google.protobuf.ByteString;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.OnnxBlockGraph;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.OnnxExportable;
import dev.dualnet.exporter.OnnxValue;
import dev.dualnet.exporter.TensorSpec;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.ElementTypes;
import dev.dualnet.exporter.graph.GraphBuilder;
import dev.dualnet.exporter.graph.OnnxOperator;
import dev.dualnet.exporter.ops.OpContext;
import dev.dualnet.exporter.ops.OpSpec;
import dev.dualnet.exporter.trace.Args;
import dev.dualnet.exporter.trace.BlockTree;
import dev.dualnet.exporter.trace.TensorRecord;
import dev.dualnet.exporter.trace.Trace;
import dev.dualnet.exporter.trace.TraceOp;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns aligned traces into an ONNX graph: the inputs as declared, each operation that does not
 * fold through its mapping, constants as initializers where a node reads them, and the forward
 * pass's results as the outputs. Operations whose results no output needs are left out.
 */
public final class Lowering implements OpContext {
    private final Alignment alignment;
    private final Trace trace;
    private final GraphBuilder graph;
    private final BlockTree tree;
    private final List<TensorSpec> inputSpecs;
    private final Map<String, String> inputDocs;
    private final String[] names;
    private final Set<String> declared = new HashSet<>();
    private final Map<String, String> symbolValues = new HashMap<>();
    private final Map<Dim, String> dimValues = new HashMap<>();
    private final Map<String, String> inputShapes = new HashMap<>();
    private TraceOp op;

    /**
     * @param second the trace at the second sizes, or null when no dimension is dynamic
     * @param sizes each dynamic dimension's sizes in the two traces
     * @param inputs the graph inputs, in the order the traces took them
     * @param inputDocs documentation of inputs, by name
     */
    public Lowering(Trace first, Trace second, Map<String, long[]> sizes, GraphBuilder graph, BlockTree tree,
            List<TensorSpec> inputs, Map<String, String> inputDocs) {
        this.inputDocs = inputDocs;
        this.alignment = new Alignment(first, second, sizes, graph.opset());
        this.trace = first;
        this.graph = graph;
        this.tree = tree;
        this.inputSpecs = inputs;
        this.names = new String[first.tensors().size()];
    }

    /**
     * Writes the graph.
     *
     * @param outputs the graph output names, one per result of the forward pass
     * @param outputDocs documentation of each output, or empty strings
     */
    public void lower(List<String> outputs, List<String> outputDocs) {
        for (String output : outputs) {
            graph.reserve(output);
        }
        for (int i = 0; i < inputSpecs.size(); i++) {
            TensorSpec spec = inputSpecs.get(i);
            int id = trace.inputs().get(i);
            graph.input(spec.name(), ElementTypes.onnx(spec.dataType()), spec.shape(),
                    inputDocs.getOrDefault(spec.name(), ""));
            names[id] = spec.name();
        }
        boolean[] needed = needed();
        for (TraceOp traceOp : trace.ops()) {
            if (!needed[traceOp.index()] || alignment.foldable(traceOp)) {
                continue;
            }
            emit(traceOp);
        }
        op = null;
        graph.location("", null);
        for (int i = 0; i < outputs.size(); i++) {
            int id = trace.outputs().get(i);
            TensorRecord tensor = trace.tensor(id);
            graph.output(name(id), outputs.get(i), ElementTypes.onnx(tensor.dataType()), alignment.shape(id),
                    outputDocs.get(i));
        }
    }

    /** Which operations some output depends on. */
    private boolean[] needed() {
        boolean[] neededTensor = new boolean[names.length];
        trace.outputs().forEach(id -> neededTensor[id] = true);
        boolean[] neededOp = new boolean[trace.ops().size()];
        for (int i = trace.ops().size() - 1; i >= 0; i--) {
            TraceOp candidate = trace.ops().get(i);
            boolean used = false;
            for (int id : candidate.outputs()) {
                used |= neededTensor[id];
            }
            if (used) {
                neededOp[i] = true;
                if (candidate.spec().kind() == OpSpec.Kind.SHAPE_ONLY) {
                    continue;
                }
                for (int id : tensorIds(candidate.args())) {
                    neededTensor[id] = true;
                }
            }
        }
        return neededOp;
    }

    private static List<Integer> tensorIds(List<Object> args) {
        List<Integer> ids = new ArrayList<>();
        for (Object arg : args) {
            if (arg instanceof Args.Tensor tensor) {
                ids.add(tensor.id());
            } else if (arg instanceof Args.Tensors tensors) {
                ids.addAll(tensors.ids());
            } else if (arg instanceof Args.Index index) {
                for (Object element : index.elements()) {
                    if (element instanceof Args.Mask m) {
                        ids.add(m.id());
                    } else if (element instanceof Args.Pick p) {
                        ids.add(p.id());
                    } else if (element instanceof Args.Take t) {
                        ids.add(t.id());
                    }
                }
            }
        }
        return ids;
    }

    private void emit(TraceOp traceOp) {
        op = traceOp;
        OpSpec spec = traceOp.spec();
        graph.location(traceOp.blockPath(), spec.signature());
        if (spec.emitter() == null) {
            throw new OnnxExportException(OnnxExportException.Reason.UNMAPPED_OPERATION, spec.signature()
                    + " has no ONNX mapping; it ran on constants only, but its result depends on a dynamic size",
                    traceOp.blockPath(), spec.signature(), graph.opset(), null);
        }
        List<String> results = spec.emitter().emit(this);
        if (results.size() != traceOp.outputs().length) {
            throw new IllegalStateException(spec.signature() + " mapping returned " + results.size() + " values for "
                    + traceOp.outputs().length + " results");
        }
        for (int i = 0; i < results.size(); i++) {
            int id = traceOp.outputs()[i];
            String value = results.get(i);
            names[id] = value;
            if (declared.add(value)) {
                TensorRecord tensor = trace.tensor(id);
                graph.valueInfo(value, ElementTypes.onnx(tensor.dataType()), alignment.shape(id));
            }
        }
    }

    /** The ONNX value of a trace value: emitted before, or a constant made an initializer now. */
    private String name(int id) {
        if (names[id] != null) {
            return names[id];
        }
        if (!alignment.foldable(id)) {
            throw new IllegalStateException("value " + id + " was read before it was written");
        }
        TensorRecord tensor = trace.tensor(id);
        checkSameInBothTraces(tensor);
        String wanted = tensor.name() != null ? tensor.name()
                : (op == null || op.blockPath().isEmpty() ? "constant" : op.blockPath() + "_constant");
        NDArray value = tensor.value();
        names[id] = graph.initializer(wanted, ElementTypes.onnx(tensor.dataType()), tensor.shape(),
                new EngineTensorData(value));
        return names[id];
    }

    /** A computed constant must come out the same at both trace sizes; random numbers or data read from inputs do not. */
    private void checkSameInBothTraces(TensorRecord tensor) {
        Trace second = alignment.second();
        if (second == null || tensor.origin() == TensorRecord.Origin.PARAMETER) {
            return;
        }
        NDArray other = second.tensor(tensor.id()).value();
        if (other != tensor.value() && !tensor.value().contentEquals(other)) {
            TraceOp producer = tensor.producer() >= 0 ? trace.ops().get(tensor.producer()) : op;
            throw new OnnxExportException(OnnxExportException.Reason.NOT_DYNAMIC, "a constant comes out different"
                    + " in the two traces, so it is not a constant of the graph (random numbers, or state that"
                    + " changes between calls)", producer == null ? null : producer.blockPath(),
                    producer == null ? null : producer.spec().signature(), graph.opset(), null);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // OpContext

    @Override
    public int opset() {
        return graph.opset();
    }

    @Override
    public String blockPath() {
        return op.blockPath();
    }

    @Override
    public int argCount() {
        return op.args().size();
    }

    @Override
    public boolean isNull(int arg) {
        return op.args().get(arg) == null;
    }

    @Override
    public String input(int arg) {
        return name(tensorId(arg));
    }

    @Override
    public List<String> inputs(int arg) {
        List<String> values = new ArrayList<>();
        for (int id : tensors(arg).ids()) {
            values.add(name(id));
        }
        return values;
    }

    @Override
    public DataType type(int arg) {
        return trace.tensor(tensorId(arg)).dataType();
    }

    @Override
    public List<Dim> shape(int arg) {
        return alignment.shape(tensorId(arg));
    }

    @Override
    public DataType type(int arg, int element) {
        return trace.tensor(tensors(arg).ids().get(element)).dataType();
    }

    @Override
    public List<Dim> shape(int arg, int element) {
        return alignment.shape(tensors(arg).ids().get(element));
    }

    @Override
    public Optional<NDArray> constant(int arg) {
        int id = tensorId(arg);
        return alignment.foldable(id) ? Optional.of(trace.tensor(id).value()) : Optional.empty();
    }

    @Override
    public Optional<NDArray> constant(int arg, int element) {
        int id = tensors(arg).ids().get(element);
        return alignment.foldable(id) ? Optional.of(trace.tensor(id).value()) : Optional.empty();
    }

    @Override
    public String tensor(int id) {
        return name(id);
    }

    @Override
    public DataType tensorType(int id) {
        return trace.tensor(id).dataType();
    }

    @Override
    public List<Dim> tensorShape(int id) {
        return alignment.shape(id);
    }

    @Override
    public String initializer(String wanted, DataType type, long[] dims, ByteBuffer littleEndian) {
        return graph.initializer(wanted, ElementTypes.onnx(type), dims,
                dev.dualnet.exporter.graph.TensorData.of(ByteString.copyFrom(littleEndian.duplicate())));
    }

    private int tensorId(int arg) {
        Object recorded = op.args().get(arg);
        if (recorded instanceof Args.Tensor tensor) {
            return tensor.id();
        }
        throw new IllegalStateException("argument " + arg + " of " + op.spec().signature() + " is not an array: "
                + recorded);
    }

    private Args.Tensors tensors(int arg) {
        Object recorded = op.args().get(arg);
        if (recorded instanceof Args.Tensors tensors) {
            return tensors;
        }
        throw new IllegalStateException("argument " + arg + " of " + op.spec().signature() + " is not a list");
    }

    @Override
    public Dim dim(int arg) {
        Dim dynamic = alignment.leaves(op.index()).get(Alignment.key(arg));
        if (dynamic != null) {
            return dynamic;
        }
        Object recorded = op.args().get(arg);
        if (recorded instanceof Number number) {
            return new Dim(number.longValue(), List.of());
        }
        throw new IllegalStateException("argument " + arg + " of " + op.spec().signature() + " is not a number");
    }

    @Override
    public List<Dim> dims(int arg) {
        Object recorded = op.args().get(arg);
        long[] values;
        if (recorded instanceof ai.djl.ndarray.types.Shape shape) {
            values = shape.getShape();
        } else if (recorded instanceof long[] longs) {
            values = longs;
        } else if (recorded instanceof int[] ints) {
            values = java.util.Arrays.stream(ints).asLongStream().toArray();
        } else if (recorded instanceof List<?> list) {
            values = list.stream().mapToLong(v -> ((Number) v).longValue()).toArray();
        } else {
            throw new IllegalStateException("argument " + arg + " of " + op.spec().signature() + " is not a shape");
        }
        Map<String, Dim> leaves = alignment.leaves(op.index());
        List<Dim> dims = new ArrayList<>(values.length);
        for (int i = 0; i < values.length; i++) {
            Dim dynamic = leaves.get(Alignment.key(arg, i));
            dims.add(dynamic != null ? dynamic : new Dim(values[i], List.of()));
        }
        return dims;
    }

    @Override
    public Dim indexDim(int arg, int element, int part) {
        Dim dynamic = alignment.leaves(op.index()).get(Alignment.key(arg, element, part));
        if (dynamic != null) {
            return dynamic;
        }
        Args.Index index = arg(arg, Args.Index.class);
        Object item = index.elements().get(element);
        Long value = item instanceof Args.Slice slice
                ? (part == 0 ? slice.start() : part == 1 ? slice.stop() : slice.step())
                : item instanceof Args.Fixed fixed ? Long.valueOf(fixed.index()) : null;
        return value == null ? null : new Dim(value, List.of());
    }

    @Override
    public long fixed(int arg) {
        Dim dim = dim(arg);
        if (!dim.isFixed()) {
            throw notDynamic("argument " + arg + " (" + dim + ")");
        }
        return dim.factor();
    }

    @Override
    public long[] fixedDims(int arg) {
        List<Dim> dims = dims(arg);
        long[] values = new long[dims.size()];
        for (int i = 0; i < values.length; i++) {
            if (!dims.get(i).isFixed()) {
                throw notDynamic("argument " + arg + " " + dims);
            }
            values[i] = dims.get(i).factor();
        }
        return values;
    }

    private OnnxExportException notDynamic(String what) {
        return new OnnxExportException(OnnxExportException.Reason.NOT_DYNAMIC, what + " derives from a dynamic"
                + " dimension, and " + op.spec().signature() + " is written with fixed sizes only; export with that"
                + " dimension fixed", op.blockPath(), op.spec().signature(), graph.opset(), null);
    }

    @Override
    public double number(int arg) {
        Object recorded = op.args().get(arg);
        if (!(recorded instanceof Number number)) {
            throw new IllegalStateException("argument " + arg + " of " + op.spec().signature() + " is not a number");
        }
        if (alignment.leaves(op.index()).containsKey(Alignment.key(arg))) {
            throw notDynamic("argument " + arg);
        }
        return number.doubleValue();
    }

    @Override
    public <T> T arg(int arg, Class<T> type) {
        return type.cast(op.args().get(arg));
    }

    @Override
    public int outputCount() {
        return op.outputs().length;
    }

    @Override
    public DataType outputType(int output) {
        return trace.tensor(op.outputs()[output]).dataType();
    }

    @Override
    public List<Dim> outputShape(int output) {
        return alignment.shape(op.outputs()[output]);
    }

    @Override
    public String node(OnnxOperator operator, List<String> inputs, Attributes attributes) {
        return graph.node(operator, inputs, attributes);
    }

    @Override
    public List<String> node(OnnxOperator operator, List<String> inputs, Attributes attributes, int outputs) {
        return graph.node(operator, inputs, attributes, outputs);
    }

    @Override
    public String longs(long... values) {
        return graph.longs(values);
    }

    @Override
    public String scalar(DataType type, double value) {
        return graph.scalar(ElementTypes.onnx(type), value);
    }

    @Override
    public String constant(DataType type, long[] dims, float[] values) {
        if (type == DataType.FLOAT32) {
            return graph.constant(constantName(), ElementTypes.onnx(type), dims, GraphBuilder.littleEndian(values));
        }
        String floats = graph.constant(constantName(), ElementTypes.onnx(DataType.FLOAT32), dims,
                GraphBuilder.littleEndian(values));
        return cast(floats, DataType.FLOAT32, type);
    }

    private String constantName() {
        return op == null || op.blockPath().isEmpty() ? "const" : op.blockPath() + "_const";
    }

    @Override
    public String sizes(List<Dim> dims) {
        if (dims.stream().allMatch(Dim::isFixed)) {
            return graph.longs(dims.stream().mapToLong(Dim::factor).toArray());
        }
        List<String> parts = new ArrayList<>();
        for (Dim dim : dims) {
            parts.add(dim.isFixed() ? graph.longs(dim.factor()) : dimVector(dim));
        }
        return graph.node(OnnxOperator.CONCAT, parts, Attributes.none().integer("axis", 0));
    }

    @Override
    public String size(Dim dim) {
        if (dim.isFixed()) {
            return graph.scalarLong(dim.factor());
        }
        return graph.node(OnnxOperator.SQUEEZE, List.of(dimVector(dim), graph.longs(0)), Attributes.none());
    }

    /** A dimension as a 1-element int64 vector, computed from the inputs' shapes. */
    private String dimVector(Dim dim) {
        String cached = dimValues.get(dim);
        if (cached != null) {
            return cached;
        }
        String value = null;
        for (String symbol : dim.symbols()) {
            String factor = symbolValue(symbol);
            value = value == null ? factor : graph.node(OnnxOperator.MUL, List.of(value, factor), Attributes.none());
        }
        if (dim.factor() != 1) {
            value = graph.node(OnnxOperator.MUL, List.of(value, graph.longs(dim.factor())), Attributes.none());
        }
        dimValues.put(dim, value);
        return value;
    }

    private String symbolValue(String symbol) {
        String cached = symbolValues.get(symbol);
        if (cached != null) {
            return cached;
        }
        String saved = graph.blockPath();
        for (TensorSpec input : inputSpecs) {
            for (int axis = 0; axis < input.rank(); axis++) {
                Dim dim = input.shape().get(axis);
                if (dim.factor() == 1 && dim.symbols().equals(List.of(symbol))) {
                    String shape = inputShapes.computeIfAbsent(input.name(),
                            name -> graph.node(OnnxOperator.SHAPE, List.of(name), Attributes.none()));
                    String value = graph.node(OnnxOperator.GATHER, List.of(shape, graph.longs(axis)),
                            Attributes.none().integer("axis", 0));
                    symbolValues.put(symbol, value);
                    return value;
                }
            }
        }
        throw new IllegalStateException("no input has dimension " + symbol + " (at " + saved + ")");
    }

    @Override
    public String cast(String value, DataType from, DataType to) {
        if (from == to) {
            return value;
        }
        return graph.node(OnnxOperator.CAST, List.of(value), Attributes.none().integer("to", ElementTypes.onnx(to)));
    }

    @Override
    public void requireOpset(int needed, String feature) {
        if (graph.opset() < needed) {
            throw new OnnxExportException(OnnxExportException.Reason.OPSET_TOO_LOW, feature + " needs opset " + needed
                    + " or later; export with opset(" + needed + ")", op.blockPath(), op.spec().signature(),
                    graph.opset(), null);
        }
    }

    @Override
    public OnnxExportException unsupported(String reason) {
        return new OnnxExportException(OnnxExportException.Reason.UNSUPPORTED_ARGUMENTS, op.spec().signature()
                + " cannot be exported here: " + reason, op.blockPath(), op.spec().signature(), graph.opset(), null);
    }

    @Override
    public List<String> exportBlock(OnnxExportable block) {
        BlockTree.Node node = arg(0, BlockTree.Node.class);
        Args.Tensors inputs = arg(1, Args.Tensors.class);
        List<OnnxValue> values = new ArrayList<>();
        for (int id : inputs.ids()) {
            values.add(new OnnxValue(name(id), trace.tensor(id).dataType()));
        }
        List<OnnxValue> results = block.exportOnnx(new BlockGraph(node), values);
        if (results.size() != op.outputs().length) {
            throw unsupported("block '" + node.path() + "' exported " + results.size() + " outputs, but its forward"
                    + " pass returns " + op.outputs().length);
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            DataType expected = outputType(i);
            if (results.get(i).dataType() != expected) {
                throw unsupported("block '" + node.path() + "' exported output " + i + " as "
                        + results.get(i).dataType() + ", but its forward pass returns " + expected);
            }
            names.add(results.get(i).name());
        }
        return names;
    }

    /** The graph as a self-exporting block sees it. */
    private final class BlockGraph implements OnnxBlockGraph {
        private final BlockTree.Node node;

        BlockGraph(BlockTree.Node node) {
            this.node = node;
        }

        @Override
        public int opset() {
            return graph.opset();
        }

        @Override
        public OnnxValue node(OnnxOperator operator, List<OnnxValue> inputs, Attributes attributes,
                DataType outputType) {
            return node(operator, inputs, attributes, List.of(outputType)).get(0);
        }

        @Override
        public List<OnnxValue> node(OnnxOperator operator, List<OnnxValue> inputs, Attributes attributes,
                List<DataType> outputTypes) {
            List<String> outputs = graph.node(operator, inputs.stream().map(OnnxValue::name).toList(), attributes,
                    outputTypes.size());
            List<OnnxValue> values = new ArrayList<>();
            for (int i = 0; i < outputs.size(); i++) {
                values.add(new OnnxValue(outputs.get(i), outputTypes.get(i)));
            }
            return values;
        }

        @Override
        public OnnxValue parameter(Parameter parameter) {
            BlockTree.NamedParameter named = tree.parameter(parameter);
            String wanted = named != null ? named.name() : BlockTree.join(node.path(), parameter.getName());
            NDArray array = parameter.getArray();
            return new OnnxValue(graph.initializer(wanted, ElementTypes.onnx(array.getDataType()),
                    array.getShape().getShape(), new EngineTensorData(array)), array.getDataType());
        }

        @Override
        public OnnxValue constant(NDArray array) {
            ByteBuffer bytes = array.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            return new OnnxValue(graph.constant(BlockTree.join(node.path(), "constant"),
                    ElementTypes.onnx(array.getDataType()), array.getShape().getShape(), ByteString.copyFrom(bytes)),
                    array.getDataType());
        }

        @Override
        public OnnxValue constant(DataType type, long[] dims, float... values) {
            return new OnnxValue(Lowering.this.constant(type, dims, values), type);
        }

        @Override
        public OnnxValue longs(long... values) {
            return new OnnxValue(graph.longs(values), DataType.INT64);
        }

        @Override
        public OnnxValue scalar(DataType type, double value) {
            return new OnnxValue(graph.scalar(ElementTypes.onnx(type), value), type);
        }
    }
}
