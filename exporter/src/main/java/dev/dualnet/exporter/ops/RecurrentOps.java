package dev.dualnet.exporter.ops;

import static dev.dualnet.exporter.ops.OpTable.EX;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.recurrent.RNN;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxOperator;
import dev.dualnet.exporter.trace.Args;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * LSTM, GRU and RNN, multi-layer, bidirectional, batch-first or not, with PyTorch's gate order
 * rewritten in ONNX's.
 *
 * <p>The parameters are read as PyTorch reads its flat list: per layer, per direction, {@code w_ih,
 * w_hh} and, with biases, {@code b_ih, b_hh}. They are rewritten into one {@code W}, {@code R} and
 * {@code B} initializer per layer. ONNX's recurrent operators are single-layer and sequence-first
 * (ONNX Runtime refuses {@code layout=1}), so each layer is one node, batch-first input and output
 * are transposed, and the initial and final states are split and joined per layer.
 */
final class RecurrentOps {
    /** Every method takes the input, the initial states and the parameter list as arguments 1 to 3. */
    private static final int INPUT = 1;
    private static final int STATES = 2;
    private static final int PARAMS = 3;

    private RecurrentOps() {}

    /** A kind of cell: its ONNX operator, and the PyTorch gate each ONNX gate slot takes. */
    private enum Cell {
        /** PyTorch packs (i, f, g, o); ONNX wants (i, o, f, c). */
        LSTM(OnnxOperator.LSTM, 0, 3, 1, 2),
        /** PyTorch packs (r, z, n); ONNX wants (z, r, h). */
        GRU(OnnxOperator.GRU, 1, 0, 2),
        RNN(OnnxOperator.RNN, 0);

        private final OnnxOperator operator;
        private final int[] gateOrder;

        Cell(OnnxOperator operator, int... gateOrder) {
            this.operator = operator;
            this.gateOrder = gateOrder;
        }

        int gates() {
            return gateOrder.length;
        }

        int states() {
            return this == LSTM ? 2 : 1;
        }
    }

    /**
     * The settings of one call: which argument holds what differs between lstm, gru and rnn.
     *
     * @param activations ONNX's activation names, one per direction; empty for the operator's default
     */
    private record Call(Cell cell, boolean biases, int layers, boolean bidirectional,
            boolean batchFirst, List<String> activations) {
        int directions() {
            return bidirectional ? 2 : 1;
        }
    }

    static void register(OpTable table) {
        table.emit(EX, "lstm(NDArray,NDList,NDList,boolean,int,double,boolean,boolean,boolean)",
                op -> layers(op, call(op, Cell.LSTM, 7, List.of())));
        table.emit(EX, "gru(NDArray,NDArray,NDList,boolean,int,double,boolean,boolean,boolean)",
                op -> layers(op, call(op, Cell.GRU, 7, List.of())));
        table.emit(EX, "rnn(NDArray,NDArray,NDList,boolean,int,Activation,double,boolean,boolean,boolean)",
                op -> layers(op, call(op, Cell.RNN, 8, rnnActivations(op))));
    }

    /**
     * Reads the flags that follow {@code training}; every method has input, states, params,
     * hasBiases and numLayers at 1 to 5.
     */
    private static Call call(OpContext op, Cell cell, int trainingArg, List<String> activations) {
        if (op.arg(trainingArg, Boolean.class)) {
            throw op.unsupported("training mode, where PyTorch applies dropout between layers; export for inference");
        }
        return new Call(cell, op.arg(4, Boolean.class), Math.toIntExact(op.fixed(5)),
                op.arg(trainingArg + 1, Boolean.class), op.arg(trainingArg + 2, Boolean.class), activations);
    }

    /** ONNX RNN's activation is tanh unless set; ReLU is named once per direction. */
    private static List<String> rnnActivations(OpContext op) {
        RNN.Activation activation = op.arg(6, RNN.Activation.class);
        if (activation == RNN.Activation.TANH) {
            return List.of();
        }
        if (activation != RNN.Activation.RELU) {
            throw op.unsupported("RNN activation " + activation + "; expected RELU or TANH");
        }
        return op.arg(9, Boolean.class) ? List.of("Relu", "Relu") : List.of("Relu");
    }

    private static List<String> layers(OpContext op, Call call) {
        if (op.rank(INPUT) != 3) {
            throw op.unsupported("input of shape " + op.shape(INPUT) + "; expected rank 3 (" + (call.batchFirst()
                    ? "batch, time, features" : "time, batch, features") + ")");
        }
        if (op.outputCount() != 1 + call.cell().states()) {
            throw op.unsupported(op.outputCount() + " results; expected the output and " + call.cell().states()
                    + " final state(s)");
        }
        int directions = call.directions();
        long hidden = hiddenSize(op, call);
        DataType type = op.type(INPUT);
        List<List<String>> initial = initialStates(op, call);
        String x = call.batchFirst() ? Emit.transpose(op, op.input(INPUT), 1, 0, 2) : op.input(INPUT);
        List<List<String>> finals = new ArrayList<>();
        for (int i = 0; i < call.cell().states(); i++) {
            finals.add(new ArrayList<>());
        }
        String y = null;
        for (int layer = 0; layer < call.layers(); layer++) {
            long inputSize = layer == 0 ? fixed(op, op.shape(INPUT).get(2)) : directions * hidden;
            List<String> inputs = new ArrayList<>(List.of(x));
            inputs.addAll(weights(op, call, layer, inputSize, hidden, type));
            inputs.add("");
            for (List<String> state : initial) {
                inputs.add(state.get(layer));
            }
            List<String> outputs = op.node(call.cell().operator, inputs, attributes(call, hidden),
                    1 + call.cell().states());
            y = outputs.get(0);
            for (int i = 0; i < call.cell().states(); i++) {
                finals.get(i).add(outputs.get(1 + i));
            }
            if (layer + 1 < call.layers()) {
                x = sequence(op, y, directions, false);
            }
        }
        List<String> results = new ArrayList<>(List.of(sequence(op, y, directions, call.batchFirst())));
        for (List<String> perLayer : finals) {
            results.add(perLayer.size() == 1 ? perLayer.get(0)
                    : op.node(OnnxOperator.CONCAT, perLayer, Attributes.none().integer("axis", 0)));
        }
        return results;
    }

    private static Attributes attributes(Call call, long hidden) {
        Attributes attributes = Attributes.none().integer("hidden_size", hidden);
        if (call.bidirectional()) {
            attributes.string("direction", "bidirectional");
        }
        if (!call.activations().isEmpty()) {
            attributes.strings("activations", call.activations().toArray(String[]::new));
        }
        if (call.cell() == Cell.GRU) {
            // PyTorch resets after the recurrent linear map: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
            attributes.integer("linear_before_reset", 1);
        }
        return attributes;
    }

    /**
     * ONNX's {@code Y}, {@code [time, directions, batch, hidden]}, as PyTorch returns it:
     * {@code [time, batch, directions * hidden]}, or batch first.
     */
    private static String sequence(OpContext op, String y, int directions, boolean batchFirst) {
        if (directions == 1) {
            String squeezed = Emit.squeeze(op, y, 1);
            return batchFirst ? Emit.transpose(op, squeezed, 1, 0, 2) : squeezed;
        }
        String moved = batchFirst ? Emit.transpose(op, y, 2, 0, 1, 3) : Emit.transpose(op, y, 0, 2, 1, 3);
        return op.node(OnnxOperator.RESHAPE, List.of(moved, op.longs(0, 0, -1)), Attributes.none());
    }

    /** The hidden size, from the first {@code w_hh} ({@code [gates * hidden, hidden]}), once the count is right. */
    private static long hiddenSize(OpContext op, Call call) {
        int count = op.arg(PARAMS, Args.Tensors.class).ids().size();
        int expected = call.layers() * call.directions() * (call.biases() ? 4 : 2);
        if (count != expected || op.shape(PARAMS, 1).size() != 2) {
            throw op.unsupported(count + " parameters; PyTorch expects " + expected + ": w_ih, w_hh"
                    + (call.biases() ? ", b_ih, b_hh" : "") + " per layer and direction");
        }
        return fixed(op, op.shape(PARAMS, 1).get(1));
    }

    /**
     * The initial states as ONNX inputs per layer: the layer's {@code [directions, batch, hidden]}
     * part of PyTorch's {@code [layers * directions, batch, hidden]}, or an omitted input where the
     * state is a constant zero (ONNX's default).
     */
    private static List<List<String>> initialStates(OpContext op, Call call) {
        List<List<String>> states = new ArrayList<>();
        for (int i = 0; i < call.cell().states(); i++) {
            boolean inList = call.cell() == Cell.LSTM;
            Optional<NDArray> constant = inList ? op.constant(STATES, i) : op.constant(STATES);
            List<String> perLayer = new ArrayList<>();
            if (constant.isPresent() && isZero(constant.get())) {
                perLayer.addAll(Collections.nCopies(call.layers(), ""));
            } else {
                String state = inList ? op.tensor(op.arg(STATES, Args.Tensors.class).ids().get(i)) : op.input(STATES);
                if (call.layers() == 1) {
                    perLayer.add(state);
                } else {
                    long[] sizes = new long[call.layers()];
                    Arrays.fill(sizes, call.directions());
                    perLayer.addAll(Emit.split(op, state, 0, sizes));
                }
            }
            states.add(perLayer);
        }
        return states;
    }

    private static boolean isZero(NDArray array) {
        ByteBuffer bytes = array.toByteBuffer();
        while (bytes.hasRemaining()) {
            if (bytes.get() != 0) {
                return false;
            }
        }
        return true;
    }

    /** W, R and, with biases, B of one layer as ONNX initializers in ONNX's gate order. */
    private static List<String> weights(OpContext op, Call call, int layer, long inputSize, long hidden,
            DataType type) {
        int perGroup = call.biases() ? 4 : 2;
        int directions = call.directions();
        long rows = call.cell().gates() * hidden;
        long[][] shapes = {{rows, inputSize}, {rows, hidden}, {rows}, {rows}};
        String[] names = {"w_ih", "w_hh", "b_ih", "b_hh"};
        ByteBuffer[] data = new ByteBuffer[perGroup];
        for (int direction = 0; direction < directions; direction++) {
            int first = (layer * directions + direction) * perGroup;
            for (int kind = 0; kind < perGroup; kind++) {
                int element = first + kind;
                String name = names[kind];
                long[] shape = fixedDims(op, op.shape(PARAMS, element));
                if (!Arrays.equals(shape, shapes[kind]) || op.type(PARAMS, element) != type) {
                    throw op.unsupported("parameter " + element + " is " + op.type(PARAMS, element) + " "
                            + Arrays.toString(shape) + "; PyTorch reads it as " + name + " of layer " + layer
                            + (directions == 2 ? (direction == 0 ? ", forward" : ", reverse") : "") + ", which is "
                            + type + " " + Arrays.toString(shapes[kind]) + " (the list goes per layer and"
                            + " direction: w_ih, w_hh" + (call.biases() ? ", b_ih, b_hh" : "") + ")");
                }
                NDArray value = op.constant(PARAMS, element).orElseThrow(() -> op.unsupported("parameter "
                        + element + " (" + name + ") is computed in the forward pass; the gates can only be"
                        + " reordered in constant weights"));
                byte[] bytes = bytes(value);
                if (data[kind] == null) {
                    data[kind] = ByteBuffer.allocate(bytes.length * directions);
                }
                int block = bytes.length / call.cell().gates();
                for (int gate : call.cell().gateOrder) {
                    data[kind].put(bytes, gate * block, block);
                }
            }
        }
        String prefix = (op.blockPath().isEmpty() ? call.cell().name().toLowerCase(Locale.ROOT)
                : op.blockPath()) + (call.layers() > 1 ? "_layer" + layer : "");
        List<String> inputs = new ArrayList<>();
        inputs.add(op.initializer(prefix + "_W", type, new long[] {directions, rows, inputSize}, data[0].flip()));
        inputs.add(op.initializer(prefix + "_R", type, new long[] {directions, rows, hidden}, data[1].flip()));
        if (!call.biases()) {
            inputs.add("");
            return inputs;
        }
        // ONNX's B holds, per direction, the input biases and then the recurrent ones.
        int perDirection = data[2].capacity() / directions;
        ByteBuffer bias = ByteBuffer.allocate(2 * data[2].capacity());
        for (int direction = 0; direction < directions; direction++) {
            bias.put(data[2].array(), direction * perDirection, perDirection)
                    .put(data[3].array(), direction * perDirection, perDirection);
        }
        inputs.add(op.initializer(prefix + "_B", type, new long[] {directions, 2 * rows}, bias.flip()));
        return inputs;
    }

    private static byte[] bytes(NDArray array) {
        ByteBuffer buffer = array.toByteBuffer();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static long fixed(OpContext op, Dim dim) {
        if (!dim.isFixed()) {
            throw op.unsupported("a dynamic feature or parameter size (" + dim + ")");
        }
        return dim.factor();
    }

    private static long[] fixedDims(OpContext op, List<Dim> dims) {
        long[] sizes = new long[dims.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = fixed(op, dims.get(i));
        }
        return sizes;
    }
}
