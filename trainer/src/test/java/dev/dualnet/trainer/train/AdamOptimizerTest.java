package dev.dualnet.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import dev.dualnet.trainer.data.DualSamples;
import dev.dualnet.trainer.model.DualNetModel;
import dev.dualnet.trainer.model.PackedParameters;
import dev.dualnet.trainer.model.Preset;
import dev.dualnet.trainer.testing.RealMnist;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Adam over packed parameters, checked against the update rule written out by hand. */
class AdamOptimizerTest {
    private static final float RATE = 1e-3f;
    private static final float BETA2 = 0.999f;
    private static final float EPSILON = 1e-8f;

    @Test
    void firstStepMovesEveryWeightByAdamsRuleAndClearsTheGradients() {
        try (DualNetModel model = seededModel()) {
            TrainingSteps steps = new TrainingSteps(model);
            PackedParameters packed = model.packParameters();
            AdamOptimizer optimizer = AdamOptimizer.withWeightDecay(packed, 0f);
            steps.gradients(batch());
            List<float[]> before = new ArrayList<>();
            List<float[]> gradients = new ArrayList<>();
            for (int i = 0; i < packed.count(); i++) {
                NDArray array = packed.parameter(i).getArray();
                before.add(array.toFloatArray());
                try (NDArray gradient = array.getGradient()) {
                    gradients.add(gradient.toFloatArray());
                }
            }

            optimizer.update(RATE);

            // After one step the moments are (1 - beta1) g and (1 - beta2) g^2, and the bias-corrected
            // step is rate * g / (|g| + epsilon / sqrt(1 - beta2)).
            double moved = 0;
            for (int i = 0; i < packed.count(); i++) {
                NDArray array = packed.parameter(i).getArray();
                float[] after = array.toFloatArray();
                for (int k = 0; k < after.length; k++) {
                    double g = gradients.get(i)[k];
                    double expected = before.get(i)[k] - RATE * g / (Math.abs(g) + EPSILON / Math.sqrt(1 - BETA2));
                    assertThat((double) after[k]).as("%s[%d]", packed.name(i), k).isCloseTo(expected, offset(2e-6));
                    moved = Math.max(moved, Math.abs(after[k] - before.get(i)[k]));
                }
                try (NDArray gradient = array.getGradient()) {
                    assertThat(gradient.toFloatArray()).as("%s gradient", packed.name(i)).containsOnly(0f);
                }
            }
            assertThat(moved).as("weights with a real gradient move by about the rate").isGreaterThan(0.9 * RATE);
            assertThat(optimizer.step()).isOne();
        }
    }

    @Test
    void savedStateContinuesTheSameTrajectoryBitForBit() throws Exception {
        DualSamples.Batch batch = batch();
        byte[] parameters;
        byte[] state;
        List<float[]> uninterrupted = new ArrayList<>();
        try (DualNetModel model = seededModel()) {
            TrainingSteps steps = new TrainingSteps(model);
            AdamOptimizer optimizer = AdamOptimizer.withWeightDecay(model.packParameters(), 1e-4f);
            steps.step(batch, optimizer, RATE);
            parameters = Checkpoint.encode(model::saveParameters);
            state = Checkpoint.encode(optimizer::save);
            steps.step(batch, optimizer, RATE);
            model.parameters().forEach(p -> uninterrupted.add(p.getValue().getArray().toFloatArray()));
        }
        try (DualNetModel model = DualNetModel.create(Preset.SEED, Device.cpu())) {
            TrainingSteps steps = new TrainingSteps(model);
            model.loadParameters(new DataInputStream(new ByteArrayInputStream(parameters)));
            AdamOptimizer optimizer = AdamOptimizer.withWeightDecay(model.packParameters(), 1e-4f);
            optimizer.load(new DataInputStream(new ByteArrayInputStream(state)), model.manager());
            assertThat(optimizer.step()).isOne();
            steps.step(batch, optimizer, RATE);
            for (int i = 0; i < uninterrupted.size(); i++) {
                assertThat(model.parameters().get(i).getValue().getArray().toFloatArray()).as("parameter %d", i)
                        .containsExactly(uninterrupted.get(i));
            }
        }
    }

    @Test
    void stateForAnotherNetworkIsRefusedWithTheReason() throws IOException {
        byte[] seedState;
        try (DualNetModel model = seededModel()) {
            seedState = Checkpoint.encode(AdamOptimizer.withWeightDecay(model.packParameters(), 0f)::save);
        }
        try (DualNetModel model = DualNetModel.create(Preset.DEFAULT, Device.cpu())) {
            AdamOptimizer optimizer = AdamOptimizer.withWeightDecay(model.packParameters(), 0f);
            assertThatThrownBy(() -> optimizer.load(new DataInputStream(new ByteArrayInputStream(seedState)),
                    model.manager()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("expected");
        }
    }

    private static DualNetModel seededModel() {
        Engine.getEngine("PyTorch").setRandomSeed(17);
        return DualNetModel.create(Preset.SEED, Device.cpu());
    }

    private static DualSamples.Batch batch() {
        DualSamples samples = new DualSamples(RealMnist.data().train().head(32));
        DualSamples.Batch batch = new DualSamples.Batch(32, 28 * 28);
        samples.fill(samples.trainingPlan(2), 0, batch);
        return batch;
    }
}
