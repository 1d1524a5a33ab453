package dev.dualnet.trainer.train;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TrainingConfigTest {
    private static TrainingConfig config(int epochs, int batchSize, float learningRate, int trainLimit, int testLimit) {
        return new TrainingConfig("seed", epochs, batchSize, learningRate, "constant", 0f, 42, 10_000, 1, "auto",
                trainLimit, testLimit);
    }

    @Test
    void eachBadSettingIsNamedWithItsValue() {
        assertThatCode(() -> config(1, 64, 1e-3f, 0, 0)).doesNotThrowAnyException();
        assertThatThrownBy(() -> config(0, 64, 1e-3f, 0, 0)).hasMessage("epochs must be at least 1, got 0");
        assertThatThrownBy(() -> config(1, 0, 1e-3f, 0, 0)).hasMessage("batch size must be at least 1, got 0");
        assertThatThrownBy(() -> config(1, 64, Float.NaN, 0, 0)).hasMessage("learning rate must be positive, got NaN");
        assertThatThrownBy(() -> config(1, 64, 1e-3f, -5, 0))
                .hasMessage("train limit must be >= 0 (0: all samples), got -5");
        assertThatThrownBy(() -> config(1, 64, 1e-3f, 0, -1))
                .hasMessage("test limit must be >= 0 (0: all samples), got -1");
    }
}
