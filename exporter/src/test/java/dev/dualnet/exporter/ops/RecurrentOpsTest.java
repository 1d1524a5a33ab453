package dev.dualnet.exporter.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.recurrent.GRU;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.nn.recurrent.RNN;
import ai.djl.nn.recurrent.RecurrentBlock;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.onnx.proto.Onnx;
import dev.dualnet.exporter.testing.ExportCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RecurrentOpsTest {
    private static final int FEATURES = 3;
    private static final int STATE = 4;
    private static final long STEPS = 5;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} layers={1} bidirectional={2} batchFirst={3} biases={4} returnState={5} opset={6}")
    @CsvSource({
        "LSTM, 1, false, false, true, false, 17",
        "LSTM, 1, false, true, true, true, 17",
        "LSTM, 2, false, false, true, true, 13",
        "LSTM, 2, false, true, false, false, 17",
        "LSTM, 1, true, false, false, true, 17",
        "LSTM, 1, true, true, false, false, 17",
        "LSTM, 2, true, false, false, true, 18",
        "LSTM, 2, true, true, false, true, 17",
        "GRU, 1, false, false, true, true, 17",
        "GRU, 1, false, true, true, false, 13",
        "GRU, 2, false, false, false, false, 17",
        "GRU, 2, false, true, true, true, 17",
        "GRU, 1, true, false, false, false, 18",
        "GRU, 1, true, true, false, true, 17",
        "GRU, 2, true, false, false, true, 17",
        "GRU, 2, true, true, false, true, 17",
        "RELU, 1, false, false, true, true, 17",
        "RELU, 2, false, true, true, true, 13",
        "RELU, 2, true, false, false, true, 17",
        "RELU, 1, true, true, false, false, 17",
        "TANH, 1, false, true, true, false, 17",
        "TANH, 2, false, false, false, true, 18",
        "TANH, 1, true, false, false, true, 17",
        "TANH, 2, true, true, false, true, 17",
    })
    void matchesDjl(String kind, int layers, boolean bidirectional, boolean batchFirst, boolean biases,
            boolean returnState, int opset) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = block(kind, layers, bidirectional, batchFirst, biases, returnState, manager);
            String shape = batchFirst ? "N," + STEPS + "," + FEATURES : STEPS + ",N," + FEATURES;
            ExportCheck.Result result = ExportCheck.of(block, manager).input("x", DataType.FLOAT32, shape)
                    .opset(opset).batches(1, 7).run(dir);
            assertThat(result.maxErrors()).allSatisfy(run -> assertThat(run).hasSize(returnState ? outputs(kind) : 1));
        }
    }

    @ParameterizedTest(name = "{0} batchFirst={1}")
    @CsvSource({"LSTM, true", "LSTM, false", "GRU, true", "TANH, false"})
    void dynamicSequenceLength(String kind, boolean batchFirst) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = block(kind, 2, true, batchFirst, false, true, manager);
            ExportCheck.of(block, manager).input("x", DataType.FLOAT32, batchFirst ? "N,T,3" : "T,N,3")
                    .at(Map.of("N", 1L, "T", 5L)).at(Map.of("N", 7L, "T", 2L)).run(dir);
        }
    }

    @ParameterizedTest(name = "{0} layers={1} bidirectional={2}")
    @CsvSource({"LSTM, 1, false", "LSTM, 2, true", "GRU, 2, false", "RELU, 2, true"})
    void givenInitialStates(String kind, int layers, boolean bidirectional) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = block(kind, layers, bidirectional, true, !bidirectional, true, manager);
            String state = layers * (bidirectional ? 2 : 1) + ",N," + STATE;
            ExportCheck check = ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,5,3")
                    .input("h0", DataType.FLOAT32, state);
            if (kind.equals("LSTM")) {
                check.input("c0", DataType.FLOAT32, state);
            }
            check.batches(1, 7).run(dir);
        }
    }

    /** A fixed batch makes the zero initial states constants, which ONNX leaves out (its default). */
    @Test
    void fixedBatchLeavesOutZeroStates() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = block("LSTM", 2, false, true, true, true, manager);
            ExportCheck.Result result = ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "2,5,3").run(dir);
            Onnx.GraphProto graph = Onnx.ModelProto.parseFrom(Files.readAllBytes(result.model())).getGraph();
            List<Onnx.NodeProto> lstms = graph.getNodeList().stream().filter(n -> n.getOpType().equals("LSTM"))
                    .toList();
            assertThat(lstms).hasSize(2).allSatisfy(node -> assertThat(node.getInputList()).hasSize(4));
            assertThat(graph.getInitializerList()).extracting(Onnx.TensorProto::getName)
                    .contains("lstm_layer0_W", "lstm_layer0_R", "lstm_layer0_B", "lstm_layer1_W")
                    .noneMatch(name -> name.contains("constant"));
        }
    }

    @Test
    void trainingModeIsRefused() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList params = new NDList(manager.randomNormal(new Shape(4 * STATE, FEATURES)),
                    manager.randomNormal(new Shape(4 * STATE, STATE)));
            NDList states = new NDList(manager.zeros(new Shape(1, 2, STATE)), manager.zeros(new Shape(1, 2, STATE)));
            Block block = new LambdaBlock(list -> new NDList(list.head().getNDArrayInternal().lstm(list.head(), states,
                    params, false, 1, 0.5, true, false, true).head()));
            block.initialize(manager, DataType.FLOAT32, new Shape(2, STEPS, FEATURES));
            assertThatThrownBy(() -> ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "2,5,3").run(dir))
                    .isInstanceOf(OnnxExportException.class).hasMessageContaining("training mode");
        }
    }

    /**
     * DJL lists a layer's parameters as all weights, then all biases, across directions, while
     * PyTorch reads them per direction (w_ih, w_hh, b_ih, b_hh): a bidirectional block with biases
     * does not run in DJL itself. The mapping reads the list as PyTorch does.
     */
    @ParameterizedTest
    @CsvSource({"LSTM", "GRU", "TANH"})
    void djlCannotRunBidirectionalWithBiases(String kind) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = block(kind, 1, true, true, true, false, manager);
            assertThatThrownBy(() -> block.forward(new ParameterStore(manager, false),
                    new NDList(manager.ones(new Shape(2, STEPS, FEATURES))), false))
                    .isInstanceOf(EngineException.class);
        }
    }

    private static int outputs(String kind) {
        return kind.equals("LSTM") ? 3 : 2;
    }

    private static Block block(String kind, int layers, boolean bidirectional, boolean batchFirst, boolean biases,
            boolean returnState, NDManager manager) {
        RecurrentBlock.BaseBuilder<?> builder = switch (kind) {
            case "LSTM" -> LSTM.builder();
            case "GRU" -> GRU.builder();
            default -> RNN.builder().setActivation(RNN.Activation.valueOf(kind));
        };
        builder.setStateSize(STATE).setNumLayers(layers).optBidirectional(bidirectional).optBatchFirst(batchFirst)
                .optHasBiases(biases).optReturnState(returnState).optDropRate(0.3f);
        Block block = switch (kind) {
            case "LSTM" -> ((LSTM.Builder) builder).build();
            case "GRU" -> ((GRU.Builder) builder).build();
            default -> ((RNN.Builder) builder).build();
        };
        block.setInitializer(new NormalInitializer(0.5f), Parameter.Type.WEIGHT);
        block.setInitializer(new NormalInitializer(0.5f), Parameter.Type.BIAS);
        Shape shape = batchFirst ? new Shape(2, STEPS, FEATURES) : new Shape(STEPS, 2, FEATURES);
        block.initialize(manager, DataType.FLOAT32, shape);
        return block;
    }
}
