package dev.dualnet.exporter.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import dev.dualnet.exporter.OnnxBlockGraph;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.OnnxExportable;
import dev.dualnet.exporter.OnnxValue;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxOperator;
import dev.dualnet.exporter.onnx.proto.Onnx;
import dev.dualnet.exporter.testing.ExportCheck;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A block that writes its own subgraph is exported through it, and its own forward still computes the trace. */
class OnnxExportableTest {
    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** Scales each feature; its forward takes a long way round (three operations), its export one Mul. */
    static final class Scale extends AbstractBlock implements OnnxExportable {
        private final Parameter scale;

        Scale(int features) {
            super((byte) 1);
            scale = addParameter(Parameter.builder().setName("scale").setType(Parameter.Type.WEIGHT)
                    .optShape(new Shape(features)).build());
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            NDArray factor = store.getValue(scale, x.getDevice(), training);
            return new NDList(x.mul(factor).add(x.mul(0f)));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }

        @Override
        public List<OnnxValue> exportOnnx(OnnxBlockGraph graph, List<OnnxValue> inputs) {
            OnnxValue x = inputs.get(0);
            return List.of(graph.node(OnnxOperator.MUL, List.of(x, graph.parameter(scale)), Attributes.none(),
                    x.dataType()));
        }
    }

    /** Normalizes each row of 4; exports itself as ONNX LayerNormalization, which opset 17 brought. */
    static final class RowNorm extends AbstractBlock implements OnnxExportable {
        RowNorm() {
            super((byte) 1);
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            NDArray centered = x.sub(x.mean(new int[] {1}, true));
            return new NDList(centered.div(centered.square().mean(new int[] {1}, true).add(1e-5f).sqrt()));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }

        @Override
        public List<OnnxValue> exportOnnx(OnnxBlockGraph graph, List<OnnxValue> inputs) {
            OnnxValue x = inputs.get(0);
            OnnxValue ones = graph.constant(DataType.FLOAT32, new long[] {4}, 1f, 1f, 1f, 1f);
            return List.of(graph.node(OnnxOperator.LAYER_NORMALIZATION, List.of(x, ones),
                    Attributes.none().integer("axis", 1).real("epsilon", 1e-5f), x.dataType()));
        }
    }

    /** A block of its own whose forward calls a child itself. */
    static final class Wrapper extends AbstractBlock {
        private final Block child;

        Wrapper(Block child) {
            super((byte) 1);
            this.child = addChildBlock("inner", child);
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                PairList<String, Object> params) {
            return child.forward(store, inputs, training);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return child.getOutputShapes(inputShapes);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            child.initialize(manager, dataType, inputShapes);
        }
    }

    private Block initialized(Block block) {
        block.setInitializer(new NormalInitializer(1f), Parameter.Type.WEIGHT);
        block.initialize(manager, DataType.FLOAT32, new Shape(1, 5));
        return block;
    }

    @Test
    void sequentialChildExportsItsOwnSubgraph() throws Exception {
        Block block = initialized(new SequentialBlock().add(Linear.builder().setUnits(4).build()).add(new Scale(4))
                .add(Activation.reluBlock()));
        ExportCheck.Result result = ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,5")
                .batches(1, 7).run(dir);
        Onnx.GraphProto graph = Onnx.ModelProto.parseFrom(java.nio.file.Files.readAllBytes(result.model())).getGraph();
        assertThat(graph.getNodeList()).extracting(Onnx.NodeProto::getOpType).containsExactly("Gemm", "Mul", "Relu");
        assertThat(graph.getInitializerList()).extracting(Onnx.TensorProto::getName).contains("02Scale_scale");
        assertThat(result.warnings()).isEmpty();
    }

    @Test
    void anOperatorNewerThanTheTargetOpsetNamesTheBlock() throws Exception {
        Block block = initialized(new SequentialBlock().add(Linear.builder().setUnits(4).build()).add(new RowNorm()));
        assertThatThrownBy(() -> OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 5).opset(16).toModel())
                .isInstanceOfSatisfying(OnnxExportException.class, e -> {
                    assertThat(e.reason()).isEqualTo(OnnxExportException.Reason.OPSET_TOO_LOW);
                    assertThat(e.blockPath()).isEqualTo("02RowNorm");
                    assertThat(e.opset()).isEqualTo(16);
                })
                .hasMessageContaining("ONNX LayerNormalization needs opset 17 or later");
        ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,5").opset(17).batches(1, 7).run(dir);
    }

    @Test
    void rootExportsItsOwnSubgraph() throws Exception {
        Block block = initialized(new Scale(5));
        Onnx.ModelProto model = OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 5).toModel();
        assertThat(model.getGraph().getNodeList()).extracting(Onnx.NodeProto::getOpType).containsExactly("Mul");
        ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,5").batches(2).run(dir);
    }

    @Test
    void childCalledFromACustomForwardIsTracedWithAWarning() throws Exception {
        Block block = initialized(new SequentialBlock().add(Linear.builder().setUnits(4).build())
                .add(new Wrapper(new Scale(4))));
        ExportCheck.Result result = ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,5")
                .batches(1, 7).run(dir);
        Onnx.GraphProto graph = Onnx.ModelProto.parseFrom(java.nio.file.Files.readAllBytes(result.model())).getGraph();
        assertThat(graph.getNodeList()).extracting(Onnx.NodeProto::getOpType).containsExactly("Gemm", "Mul", "Mul",
                "Add");
        assertThat(result.warnings()).singleElement().asString()
                .contains("block '02Wrapper_01inner' implements OnnxExportable but runs inside the forward of '02Wrapper'");
    }
}
