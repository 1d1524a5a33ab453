package dev.dualnet.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/** A gradient computed outside autograd reaches the parameter's accumulated gradient. */
class EngineAutogradTest {
    @Test
    void anAddedGradientCreatesTheParametersGradientThenAddsToItInPlace() {
        Engine engine = Engine.getEngine("PyTorch");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray parameter = manager.create(new float[] {1f, -2f, 3f});
            parameter.setRequiresGradient(true);
            NDArray first = manager.create(new float[] {0.5f, -1f, 2f});
            NDArray second = manager.create(new float[] {0.25f, 0.25f, -4f});

            try (GradientCollector collector = engine.newGradientCollector()) {
                EngineAutograd.addToGradient(parameter, first, collector);
            }
            assertThat(gradientOf(parameter)).as("no gradient tensor before").containsExactly(0.5f, -1f, 2f);

            try (GradientCollector collector = engine.newGradientCollector()) {
                EngineAutograd.addToGradient(parameter, second, collector);
            }
            assertThat(gradientOf(parameter)).as("added to the existing one").containsExactly(0.75f, -0.75f, -2f);

            EngineAutograd.clearGradient(parameter);
            try (GradientCollector collector = engine.newGradientCollector()) {
                EngineAutograd.addToGradient(parameter, second, collector);
            }
            assertThat(gradientOf(parameter)).as("after clearing").containsExactly(0.25f, 0.25f, -4f);
        }
    }

    private static float[] gradientOf(NDArray parameter) {
        try (NDArray gradient = parameter.getGradient()) {
            return gradient.toFloatArray();
        }
    }
}
