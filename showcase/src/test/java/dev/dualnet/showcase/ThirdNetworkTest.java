package dev.dualnet.showcase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.testing.OnnxChecker;
import dev.dualnet.parity.TensorComparison;
import dev.dualnet.parity.Tolerance;
import dev.dualnet.runtime.DualNetPredictor;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.Prediction;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.trainer.model.AvgPool2d;
import dev.dualnet.trainer.model.DualNetBlock;
import dev.dualnet.trainer.model.OneHot;
import dev.dualnet.trainer.model.Standardize;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A network unlike either preset (average pooling, an MLP trunk with 1-D batch norm, dropout,
 * tanh and sigmoid, a two-layer sum head) exports through the same tracing path and matches DJL.
 */
class ThirdNetworkTest {
    @TempDir
    Path dir;

    @Test
    void mlpWithBatchNormExportsThroughTheSamePath() throws Exception {
        DualNetBlock block = new DualNetBlock(
                new SequentialBlock()
                        .add(new Standardize(0.2f, 0.3f))
                        .add(new AvgPool2d(2, 2))
                        .add(Blocks.batchFlattenBlock())
                        .add(Linear.builder().setUnits(48).build())
                        .add(BatchNorm.builder().build())
                        .add(Activation.tanhBlock())
                        .add(Dropout.builder().optRate(0.3f).build()),
                new SequentialBlock().add(new OneHot(10)).add(Linear.builder().setUnits(6).build())
                        .add(Activation.sigmoidBlock()),
                new SequentialBlock().add(Linear.builder().setUnits(24).build()).add(Activation.reluBlock()),
                Linear.builder().setUnits(10).build(),
                new SequentialBlock().add(Linear.builder().setUnits(16).build()).add(Activation.reluBlock())
                        .add(Linear.builder().setUnits(19).build()),
                DualNetBlock.SumInput.JOINT_FEATURES);
        Random random = new Random(5);
        float[] images = new float[32 * 784];
        for (int i = 0; i < images.length; i++) {
            images[i] = random.nextFloat();
        }
        int[] numbers = new int[32];
        long[] longs = new long[32];
        for (int i = 0; i < 32; i++) {
            numbers[i] = random.nextInt(10);
            longs[i] = numbers[i];
        }
        Path file = dir.resolve("third.onnx");
        float[] expectedDigit;
        float[] expectedSum;
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
            block.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28), new Shape(1));
            ParameterStore ps = new ParameterStore(manager, false);
            NDList inputs = new NDList(manager.create(images, new Shape(32, 1, 28, 28)), manager.create(longs));
            for (int i = 0; i < 5; i++) {
                block.forward(ps, inputs, true); // moves the batch-norm running statistics off their defaults
            }
            NDList out = block.forward(ps, inputs, false);
            expectedDigit = out.get(0).softmax(1).toFloatArray();
            expectedSum = out.get(1).softmax(1).toFloatArray();
            NDArray runningMean = block.getParameters().get("01image_05BatchNorm_runningMean").getArray();
            assertThat(runningMean.abs().sum().getFloat()).isPositive();
            byte[] onnx = DualNetOnnx.export(block, "third", Map.of()).toByteArray();
            Files.write(file, onnx);
        }
        assertThat(OnnxChecker.check(file)).contains("ok");
        try (DualNetPredictor predictor = DualNetPredictor.load(file, RuntimeOptions.defaults())) {
            List<Prediction> predictions = predictor.predict(images, numbers);
            float[] digit = new float[32 * 10];
            float[] sum = new float[32 * 19];
            for (int i = 0; i < 32; i++) {
                System.arraycopy(predictions.get(i).digitProbabilities(), 0, digit, i * 10, 10);
                System.arraycopy(predictions.get(i).sumProbabilities(), 0, sum, i * 19, 19);
            }
            assertThat(TensorComparison.of(tensor("digit", expectedDigit, 10), tensor("digit", digit, 10),
                    Tolerance.DEFAULTS).passed()).isTrue();
            assertThat(TensorComparison.of(tensor("sum", expectedSum, 19), tensor("sum", sum, 19),
                    Tolerance.DEFAULTS).passed()).isTrue();
        }
    }

    @Test
    void unmappedOperationFailsNamingItsBlock() {
        DualNetBlock block = new DualNetBlock(
                new SequentialBlock().add(Blocks.batchFlattenBlock())
                        .add(new LambdaBlock(x -> new NDList(x.head().erfinv()))),
                new SequentialBlock().add(new OneHot(10)),
                new SequentialBlock().add(Linear.builder().setUnits(8).build()),
                Linear.builder().setUnits(10).build(), Linear.builder().setUnits(19).build(),
                DualNetBlock.SumInput.JOINT_FEATURES);
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
            block.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28), new Shape(1));
            assertThatThrownBy(() -> DualNetOnnx.export(block, "x", Map.of()))
                    .isInstanceOf(OnnxExportException.class)
                    .hasMessageContaining("NDArray.erfinv() has no ONNX mapping")
                    .hasMessageContaining("block '01image_02LambdaBlock'")
                    .hasMessageContaining("opset 17");
        }
    }

    private static NamedTensor tensor(String name, float[] rows, int columns) {
        return new NamedTensor(name, ElementType.FP32, new long[] {rows.length / columns, columns}, rows);
    }
}
