package com.example.tinynet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.dualnet.exporter.OnnxBlockGraph;
import dev.dualnet.exporter.OnnxExportable;
import dev.dualnet.exporter.OnnxValue;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxOperator;
import dev.dualnet.junit.OnnxParity;
import dev.dualnet.junit.OnnxParityResult;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/** TinyNet exports to ONNX, and ONNX Runtime computes what DJL computes. */
class TinyNetExportTest {
    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        manager.getEngine().setRandomSeed(42);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private Block initialised(Block block) {
        block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 32, 32));
        return block;
    }

    @Test
    void theOnnxExportComputesWhatDjlComputes() {
        Block block = initialised(TinyNet.newBlock(10));

        OnnxParityResult result = OnnxParity.assertThat(block)
                .withInput("image", manager.randomUniform(0, 1, new Shape(4, 3, 32, 32)))
                .outputNames("logits")
                .exportedAs(dir.resolve("tinynet.onnx"))
                .matchesWithin(1e-5);

        assertThat(result.model()).isRegularFile();
        assertThat(result.output("logits").expectedShape()).containsExactly(4, 10);
    }

    /**
     * The normalisation written as its own ONNX subgraph, with a slip: the exported division uses
     * 0.26 where the forward pass divides by {@link TinyNet#STD}, 0.25.
     */
    static final class MistypedNormalise extends AbstractBlock implements OnnxExportable {
        MistypedNormalise() {
            super((byte) 1);
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                PairList<String, Object> params) {
            return TinyNet.normalise(inputs);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }

        @Override
        public List<OnnxValue> exportOnnx(OnnxBlockGraph graph, List<OnnxValue> inputs) {
            OnnxValue x = inputs.get(0);
            OnnxValue centred = graph.node(OnnxOperator.SUB, List.of(x, graph.scalar(DataType.FLOAT32, TinyNet.MEAN)),
                    Attributes.none(), x.dataType());
            return List.of(graph.node(OnnxOperator.DIV, List.of(centred, graph.scalar(DataType.FLOAT32, 0.26)),
                    Attributes.none(), x.dataType()));
        }
    }

    @Test
    void aBrokenExportFailsNamingTheOutputTheElementAndBothValues() {
        Block broken = initialised(TinyNet.newBlock(10, new MistypedNormalise()));

        assertThatThrownBy(() -> OnnxParity.assertThat(broken).as("TinyNet with a mistyped export")
                .withInput("image", manager.randomUniform(0, 1, new Shape(4, 3, 32, 32)))
                .outputNames("logits")
                .matchesWithin(1e-5))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageStartingWith("ONNX export of TinyNet with a mistyped export differs from DJL:"
                        + " output \"logits\" [4,10] at [")
                .hasMessageMatching("(?s).* at \\[\\d, \\d\\]: DJL -?[0-9.e+-]+, ONNX Runtime -?[0-9.e+-]+"
                        + " \\(\\|diff\\| [0-9.e+-]+ > atol 1e-05\\); \\d+ of 40 elements outside tolerance");
    }
}
