package dev.dualnet.exporter.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import dev.dualnet.exporter.ExportedModel;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.testing.OnnxChecker;
import dev.dualnet.exporter.testing.OnnxRuntimeRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parameters past one protobuf message go to a data file beside the model, which ONNX Runtime loads. */
class ExternalDataTest {
    @TempDir
    Path dir;

    @Test
    void modelPastTwoGigabytesWritesExternalData() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            // 2 x 9,000 x 32,000 float32 weights: 2.3 GB, each tensor under 2 GiB.
            Block block = new SequentialBlock().add(Linear.builder().setUnits(32_000).build())
                    .add(Linear.builder().setUnits(9_000).build());
            block.setInitializer(new NormalInitializer(0.01f), Parameter.Type.WEIGHT);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, 9_000));
            Path model = dir.resolve("large.onnx");
            try (ExportedModel exported = OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 9_000).export()) {
                assertThat(exported.initializerBytes()).isGreaterThan(Integer.MAX_VALUE);
                assertThatThrownBy(exported::model).isInstanceOf(OnnxExportException.class)
                        .hasMessageContaining("more than one ONNX protobuf can hold");
                Path data = exported.write(model);
                assertThat(data).isEqualTo(dir.resolve("large.onnx.data"));
                assertThat(Files.size(model)).isLessThan(1 << 20);
                assertThat(Files.size(data)).isGreaterThan(Integer.MAX_VALUE);
            }
            assertThat(OnnxChecker.check(model)).contains("ok");
            assertSameOutputs(block, model, manager, 2);
        }
    }

    @Test
    void externalDataOnRequestForASmallModel() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = new SequentialBlock().add(Linear.builder().setUnits(300).build())
                    .add(Linear.builder().setUnits(3).build());
            block.setInitializer(new NormalInitializer(0.1f), Parameter.Type.WEIGHT);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, 40));
            Path model = dir.resolve("small.onnx");
            try (ExportedModel exported = OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 40).export()) {
                Path data = exported.writeWithExternalData(model);
                // 300 x 40 and 3 x 300 weights and the 300 biases are external; the 3 biases stay inline.
                assertThat(Files.size(data)).isGreaterThanOrEqualTo((300 * 40 + 3 * 300 + 300) * 4L);
            }
            assertThat(OnnxChecker.check(model)).contains("ok");
            assertSameOutputs(block, model, manager, 5);
        }
    }

    private static void assertSameOutputs(Block block, Path model, NDManager manager, int batch) throws Exception {
        try (NDManager scope = manager.newSubManager(); OnnxRuntimeRunner runtime = new OnnxRuntimeRunner(model)) {
            long features = block.getChildren().get(0).getValue().getParameters().get("weight").getArray()
                    .getShape().get(1);
            NDArray x = scope.randomUniform(-1, 1, new Shape(batch, features));
            NDArray expected = block.forward(new ParameterStore(scope, false), new NDList(x), false).singletonOrThrow();
            NDArray actual = runtime.run(new NDList(x), scope).singletonOrThrow();
            assertThat(actual.getShape()).isEqualTo(expected.getShape());
            assertThat(expected.sub(actual).abs().max().getFloat()).isLessThan(1e-4f);
        }
    }
}
