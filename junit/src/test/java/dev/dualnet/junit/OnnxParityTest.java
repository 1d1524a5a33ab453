package dev.dualnet.junit;

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
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.dualnet.exporter.OnnxBlockGraph;
import dev.dualnet.exporter.OnnxExportable;
import dev.dualnet.exporter.OnnxValue;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxOperator;
import dev.dualnet.runtime.ModelLoadException;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.RuntimeOptions;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/** The assertion passes for blocks whose export is exact and fails, readably, for those whose export differs or fails. */
class OnnxParityTest {
    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        manager.getEngine().setRandomSeed(7);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** Multiplies by π in its forward pass; its own export writes π as 3.14, a subtle mistake. */
    static final class RoundedPi extends AbstractBlock implements OnnxExportable {
        RoundedPi() {
            super((byte) 1);
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                PairList<String, Object> params) {
            return new NDList(inputs.singletonOrThrow().mul((float) Math.PI));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }

        @Override
        public List<OnnxValue> exportOnnx(OnnxBlockGraph graph, List<OnnxValue> inputs) {
            OnnxValue x = inputs.get(0);
            return List.of(graph.node(OnnxOperator.MUL, List.of(x, graph.scalar(DataType.FLOAT32, 3.14)),
                    Attributes.none(), x.dataType()));
        }
    }

    /** A small classifier: a linear layer, a lambda and a parallel join of two heads. */
    private Block classifier() {
        Block block = new SequentialBlock()
                .add(Linear.builder().setUnits(16).build())
                .add(Activation::relu)
                .add(new ParallelBlock(list -> new NDList(list.get(0).singletonOrThrow()
                        .add(list.get(1).singletonOrThrow())),
                        List.of(Linear.builder().setUnits(10).build(),
                                new SequentialBlock().add(Linear.builder().setUnits(10).build())
                                        .add(x -> new NDList(x.singletonOrThrow().tanh())))));
        block.initialize(manager, DataType.FLOAT32, new Shape(4, 8));
        return block;
    }

    @Test
    void passesForABlockWhoseExportIsExact() {
        NDArray input = manager.randomUniform(-1, 1, new Shape(5, 8));

        OnnxParityResult result = OnnxParity.assertThat(classifier())
                .withInputs(input)
                .outputNames("logits")
                .exportedAs(dir.resolve("nested/classifier.onnx"))
                .matchesWithin(1e-5);

        assertThat(result.subject()).isEqualTo("SequentialBlock");
        assertThat(result.model()).isEqualTo(dir.resolve("nested/classifier.onnx")).isRegularFile();
        assertThat(result.outputs()).hasSize(1);
        assertThat(result.output("logits").expectedShape()).containsExactly(5, 10);
        assertThat(result.output("logits").elements()).isEqualTo(50);
        assertThat(result.maxAbsError()).isLessThanOrEqualTo(1e-5);
        assertThatThrownBy(() -> result.output("probabilities")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no output \"probabilities\"; the outputs are [logits]");
    }

    @Test
    void exportsTheBatchDimensionDynamicUnlessShapesAreFixed() throws ModelLoadException {
        Block block = classifier();
        NDArray input = manager.randomUniform(-1, 1, new Shape(3, 8));

        Path dynamic = OnnxParity.assertThat(block).withInput("features", input).matchesWithin(1e-5).model();
        Path fixed = OnnxParity.assertThat(block).withInput("features", input).withFixedShapes()
                .exportedAs(dir.resolve("fixed.onnx")).matchesWithin(1e-5).model();

        try (OnnxModel model = OnnxModel.load(dynamic, RuntimeOptions.defaults().withDevice(RuntimeOptions.Device.CPU))) {
            assertThat(model.inputs().get("features").shape()).containsExactly(-1, 8);
            assertThat(model.outputs()).containsOnlyKeys("output_0");
        }
        try (OnnxModel model = OnnxModel.load(fixed, RuntimeOptions.defaults().withDevice(RuntimeOptions.Device.CPU))) {
            assertThat(model.inputs().get("features").shape()).containsExactly(3, 8);
        }
        assertThat(dynamic.getFileName()).hasToString("model.onnx");
        assertThat(dynamic.toAbsolutePath().getParent().getFileName().toString()).startsWith("dualnet-onnx-parity-");
    }

    @Test
    void comparesEveryInputAndOutput() {
        LambdaBlock block = new LambdaBlock(list -> new NDList(list.get(0).add(list.get(1)), list.get(0).mul(2),
                list.get(1).sum(new int[] {1})));
        NDArray a = manager.randomUniform(0, 1, new Shape(2, 3));
        NDArray b = manager.randomUniform(0, 1, new Shape(2, 3));

        OnnxParityResult result = OnnxParity.assertThat(block).withInputs(a, b)
                .outputNames("sum", "twice", "rows").opset(13).matchesWithin(1e-6, 1e-6);

        assertThat(result.outputs()).extracting(c -> c.name()).containsExactly("sum", "twice", "rows");
        assertThat(result.output("rows").expectedShape()).containsExactly(2);
        assertThat(result.tolerance().rtol()).isEqualTo(1e-6);
    }

    @Test
    void failsNamingTheOutputTheWorstElementAndBothValues() {
        NDArray input = manager.arange(40f).reshape(4, 10);

        assertThatThrownBy(() -> OnnxParity.assertThat(new RoundedPi()).withInputs(input).matchesWithin(1e-5))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessage("ONNX export of RoundedPi differs from DJL: output \"output_0\" [4,10] at [3, 9]:"
                        + " DJL 122.522, ONNX Runtime 122.46 (|diff| 0.0621 > atol 1e-05);"
                        + " 39 of 40 elements outside tolerance");
    }

    @Test
    void failsOnEachDifferingOutputAndNamesTheKeptModel() {
        Block block = new SequentialBlock().add(new RoundedPi())
                .add(list -> new NDList(list.singletonOrThrow(), list.singletonOrThrow().sign()));
        NDArray input = manager.arange(-1f, 2f).reshape(3, 1);
        Path file = dir.resolve("pi.onnx");

        assertThatThrownBy(() -> OnnxParity.assertThat(block).as("the π block").withInputs(input)
                .outputNames("scaled", "sign").exportedAs(file).matchesWithin(1e-3))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessage("ONNX export of the π block differs from DJL in 1 of 2 outputs:\n"
                        + "  output \"scaled\" [3,1] at [0, 0]: DJL -3.14159, ONNX Runtime -3.14"
                        + " (|diff| 0.00159 > atol 0.001); 2 of 3 elements outside tolerance\n"
                        + "the exported model is " + file);
        assertThat(file).isRegularFile();
    }

    @Test
    void aRelativeToleranceAllowsProportionalErrors() {
        NDArray input = manager.arange(1f, 41f).reshape(4, 10);

        OnnxParityResult passed = OnnxParity.assertThat(new RoundedPi()).withInputs(input).matchesWithin(0, 1e-3);

        assertThat(passed.output("output_0").maxRelError()).isBetween(5e-4, 6e-4);
        assertThatThrownBy(() -> OnnxParity.assertThat(new RoundedPi()).withInputs(input).matchesWithin(0.01, 1e-4))
                .hasMessageContaining("at [3, 9]: DJL 125.664, ONNX Runtime 125.6 (|diff| 0.0637 > atol 0.01"
                        + " and > rtol 1e-04 × |DJL|); 34 of 40 elements outside tolerance");
    }

    @Test
    void failsWithTheExportersMessageWhenTheBlockCannotExport() {
        Block block = new SequentialBlock().add(x -> new NDList(x.singletonOrThrow().mul(0.5f)))
                .add(new LambdaBlock(x -> new NDList(x.singletonOrThrow().erfinv())));
        NDArray input = manager.randomUniform(-1, 1, new Shape(2, 4));

        assertThatThrownBy(() -> OnnxParity.assertThat(block).withInputs(input).matchesWithin(1e-5))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageStartingWith("ONNX export of SequentialBlock fails: NDArray.erfinv() has no ONNX mapping,"
                        + " and here it computes on values that depend on the model's inputs")
                .hasMessageContaining("method NDArray.erfinv(), opset 17]");
    }

    @Test
    void failsWhenTheSettingsCannotExport() {
        NDArray input = manager.ones(new Shape(2, 2));

        assertThatThrownBy(() -> OnnxParity.assertThat(new RoundedPi()).withInputs(input).opset(12)
                .matchesWithin(1e-5))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessage("ONNX export of RoundedPi fails: opset 12 is not supported; choose 13 to 18");
        assertThatThrownBy(() -> OnnxParity.assertThat(new RoundedPi()).withInputs(input).outputNames("a", "b")
                .matchesWithin(1e-5))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("2 output names given (a, b), but the forward pass returns 1 arrays");
    }

    @Test
    void refusesToRunWithoutInputsOrWithDifferentBatchSizes() {
        LambdaBlock block = new LambdaBlock(list -> list);

        assertThatThrownBy(() -> OnnxParity.assertThat(block).matchesWithin(1e-5))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("give the block's example inputs with withInputs(...)");
        assertThatThrownBy(() -> OnnxParity.assertThat(block)
                .withInputs(manager.ones(new Shape(2, 3)), manager.ones(new Shape(5)))
                .matchesWithin(1e-5))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the example inputs' first dimensions differ ([2, 5]), so they cannot share a dynamic"
                        + " batch dimension; give them one batch size, or call withFixedShapes()");
        assertThatThrownBy(() -> OnnxParity.assertThat(block).withInput("x", manager.ones(new Shape(1)))
                .withInput("x", manager.ones(new Shape(1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("input \"x\" is given twice");
        assertThatThrownBy(() -> OnnxParity.assertThat(block).withInputs(manager.ones(new Shape(1)))
                .matchesWithin(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tolerances must be >= 0");
        assertThatThrownBy(() -> OnnxParity.assertThat(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void leavesNoArraysInTheExamplesManager() {
        Block block = classifier();
        NDArray input = manager.randomUniform(-1, 1, new Shape(2, 8));
        int before = manager.getManagedArrays().size();

        OnnxParity.assertThat(block).withInputs(input).matchesWithin(1e-5);

        assertThat(manager.getManagedArrays()).hasSize(before);
    }
}
