package dev.dualnet.exporter.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.Pair;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.testing.OnnxRuntimeRunner;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The exported graph is as exact as DJL itself: against the same network computed in float64, ONNX
 * Runtime's float32 result is off by no more than DJL's own float32 result is. Where an
 * absolute tolerance is missed at large output values, this is what the difference is made of.
 */
class FloatReferenceTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "ResNet-{0}")
    @ValueSource(ints = {18, 50})
    void onnxRuntimeIsAsCloseToFloat64AsDjlItself(int layers) throws Exception {
        Supplier<Block> architecture = () -> ResNetV1.builder().setImageShape(new Shape(3, 64, 64))
                .setNumLayers(layers).setOutSize(10).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getEngine("PyTorch").setRandomSeed(42);
            Block block = architecture.get();
            block.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 64, 64));
            for (int pass = 0; pass < 10; pass++) {
                try (NDManager scope = manager.newSubManager()) {
                    block.forward(new ParameterStore(scope, false),
                            new NDList(scope.randomUniform(0, 1, new Shape(4, 3, 64, 64))), true);
                }
            }
            Path file = dir.resolve("resnet.onnx");
            OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 3, 64, 64).write(file);
            Block twin = architecture.get();
            twin.initialize(manager, DataType.FLOAT64, new Shape(1, 3, 64, 64));
            for (Pair<String, Parameter> parameter : block.getParameters()) {
                NDArray value = parameter.getValue().getArray().toType(DataType.FLOAT64, true);
                twin.getParameters().get(parameter.getKey()).getArray().set(value.toDoubleArray());
            }

            NDArray x = manager.randomUniform(0, 1, new Shape(7, 3, 64, 64));
            NDArray djl = block.forward(new ParameterStore(manager, false), new NDList(x), false).head();
            NDArray truth = twin.forward(new ParameterStore(manager, false),
                    new NDList(x.toType(DataType.FLOAT64, false)), false).head();
            NDArray onnx;
            try (OnnxRuntimeRunner runtime = new OnnxRuntimeRunner(file)) {
                onnx = runtime.run(new NDList(x), manager).head();
            }
            double djlError = djl.toType(DataType.FLOAT64, false).sub(truth).abs().max().getDouble();
            double onnxError = onnx.toType(DataType.FLOAT64, false).sub(truth).abs().max().getDouble();
            assertThat(djlError).as("DJL float32 against float64").isPositive();
            assertThat(onnxError).as("ONNX Runtime float32 against float64, DJL's own error %.3g, outputs up to %.3g",
                    djlError, truth.abs().max().getDouble()).isLessThanOrEqualTo(1.5 * djlError);
        }
    }
}
