package dev.dualnet.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.dualnet.trainer.data.DualSamples;
import dev.dualnet.trainer.model.DualNetModel;
import dev.dualnet.trainer.model.Preset;
import dev.dualnet.trainer.testing.RealMnist;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The training step: a real gradient with the same bits every run, and a clean start for the next batch. */
class TrainingStepsTest {
    private static final int BATCH = 64;
    private static final int WEIGHT_SEED = 11;

    @Test
    void aBatchGivesARealGradientWithTheSameBitsEveryTime() {
        DualSamples.Batch batch = realBatch(BATCH);
        Result first = gradients(batch);

        double largest = 0;
        for (float[] gradient : first.gradients()) {
            for (float g : gradient) {
                largest = Math.max(largest, Math.abs(g));
            }
        }
        assertThat(largest).as("the batch must produce a real gradient").isGreaterThan(1e-3);
        assertThat(first.totals().loss()).isPositive();
        assertThat(first.totals().digitRight()).isBetween(0L, (long) BATCH);
        assertThat(first.totals().sumRight()).isBetween(0L, (long) BATCH);

        for (int run = 0; run < 2; run++) {
            Result again = gradients(batch);
            for (int p = 0; p < first.gradients().size(); p++) {
                assertThat(again.gradients().get(p)).as("run %d, parameter %d", run, p)
                        .containsExactly(first.gradients().get(p));
            }
            assertThat(again.totals()).isEqualTo(first.totals());
        }
    }

    @Test
    void aSecondBatchBeforeTheUpdateAddsItsGradientToEveryParameterIncludingTheFirstConvolution() {
        DualSamples.Batch batch = realBatch(BATCH);
        try (DualNetModel model = seededModel()) {
            TrainingSteps steps = new TrainingSteps(model);
            steps.gradients(batch);
            List<float[]> once = gradientsOf(model);
            steps.gradients(batch);
            List<float[]> twice = gradientsOf(model);
            List<String> names = model.parameters().keys();
            for (int p = 0; p < once.size(); p++) {
                float[] doubled = once.get(p).clone();
                for (int i = 0; i < doubled.length; i++) {
                    doubled[i] *= 2;
                }
                assertThat(twice.get(p)).as(names.get(p)).containsExactly(doubled);
            }
        }
    }

    @Test
    void aStepUpdatesTheWeightsAndLeavesNoGradientForTheNextBatch() {
        DualSamples.Batch batch = realBatch(BATCH);
        try (DualNetModel model = seededModel()) {
            TrainingSteps steps = new TrainingSteps(model);
            AdamOptimizer optimizer = AdamOptimizer.withWeightDecay(model.packParameters(), 0f);
            List<float[]> before = values(model);

            steps.step(batch, optimizer, 1e-3f);

            assertThat(optimizer.step()).isOne();
            List<float[]> after = values(model);
            boolean moved = false;
            for (int p = 0; p < before.size(); p++) {
                moved |= !Arrays.equals(before.get(p), after.get(p));
            }
            assertThat(moved).as("the step must change the weights").isTrue();
            for (Parameter parameter : model.parameters().values()) {
                try (NDArray gradient = parameter.getArray().getGradient()) {
                    assertThat(gradient.toFloatArray()).as(parameter.getName()).containsOnly(0f);
                }
            }
        }
    }

    @Test
    void aBatchTheNetworkRejectsFailsWithTheEnginesReasonAndTheNextStepStillRuns() {
        DualSamples.Batch batch = realBatch(BATCH);
        long number = batch.numbers()[BATCH - 1];
        batch.numbers()[BATCH - 1] = 12; // outside 0..9: the one-hot encoding fails
        try (DualNetModel model = seededModel()) {
            TrainingSteps steps = new TrainingSteps(model);
            AdamOptimizer optimizer = AdamOptimizer.withWeightDecay(model.packParameters(), 0f);
            assertThatThrownBy(() -> steps.step(batch, optimizer, 1e-3f)).hasMessageContaining("num_classes");
            batch.numbers()[BATCH - 1] = number;
            // A failed step must have released the engine's gradient collector, or this one would refuse.
            assertThat(steps.step(batch, optimizer, 1e-3f).loss()).isPositive();
        }
    }

    private record Result(TrainingSteps.StepTotals totals, List<float[]> gradients) {}

    private static Result gradients(DualSamples.Batch batch) {
        try (DualNetModel model = seededModel()) {
            TrainingSteps.StepTotals totals = new TrainingSteps(model).gradients(batch);
            return new Result(totals, gradientsOf(model));
        }
    }

    private static List<float[]> gradientsOf(DualNetModel model) {
        List<float[]> gradients = new ArrayList<>();
        for (Parameter parameter : model.parameters().values()) {
            try (NDArray gradient = parameter.getArray().getGradient()) {
                gradients.add(gradient.toFloatArray());
            }
        }
        return gradients;
    }

    private static List<float[]> values(DualNetModel model) {
        List<float[]> values = new ArrayList<>();
        for (Parameter parameter : model.parameters().values()) {
            values.add(parameter.getArray().toFloatArray());
        }
        return values;
    }

    private static DualNetModel seededModel() {
        Engine.getEngine("PyTorch").setRandomSeed(WEIGHT_SEED);
        return DualNetModel.create(Preset.SEED, Device.cpu());
    }

    private static DualSamples.Batch realBatch(int size) {
        DualSamples samples = new DualSamples(RealMnist.data().train().head(size));
        DualSamples.Batch batch = new DualSamples.Batch(size, 28 * 28);
        samples.fill(samples.trainingPlan(5), 0, batch);
        return batch;
    }
}
