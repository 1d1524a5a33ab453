package dev.dualnet.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.dualnet.trainer.data.DualSamples;
import dev.dualnet.trainer.model.DualNetModel;
import dev.dualnet.trainer.model.Preset;
import dev.dualnet.trainer.testing.RealMnist;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The data-parallel training step: two workers must produce the whole batch's gradient, the same bits
 * on every run, and a parameter update identical to the single-threaded one.
 */
class TrainingStepsTest {
    private static final int BATCH = 64;
    private static final int WEIGHT_SEED = 11;

    @Test
    void twoWorkersComputeTheWholeBatchGradientWithTheSameBitsEveryTime() {
        DualSamples.Batch batch = realBatch(BATCH);
        Result single = gradients(batch, 1);
        Result split = gradients(batch, 2);

        assertThat(single.workers()).isZero();
        assertThat(split.workers()).isEqualTo(2);
        double largest = 0;
        double difference = 0;
        for (int p = 0; p < single.gradients().size(); p++) {
            float[] a = single.gradients().get(p);
            float[] b = split.gradients().get(p);
            assertThat(b).hasSameSizeAs(a);
            for (int i = 0; i < a.length; i++) {
                largest = Math.max(largest, Math.abs(a[i]));
                difference = Math.max(difference, Math.abs(a[i] - b[i]));
            }
        }
        assertThat(largest).as("the batch must produce a real gradient").isGreaterThan(1e-3);
        assertThat(difference).as("split gradient against whole-batch gradient").isLessThan(1e-5 * largest);
        assertThat(split.totals().loss()).isCloseTo(single.totals().loss(), offset(1e-5f));
        assertThat(split.totals().digitRight()).isEqualTo(single.totals().digitRight());
        assertThat(split.totals().sumRight()).isEqualTo(single.totals().sumRight());

        for (int run = 0; run < 3; run++) {
            Result again = gradients(batch, 2);
            for (int p = 0; p < split.gradients().size(); p++) {
                assertThat(again.gradients().get(p)).as("run %d, parameter %d", run, p)
                        .containsExactly(split.gradients().get(p));
            }
            assertThat(again.totals()).isEqualTo(split.totals());
        }
    }

    @Test
    void oddAndTinyBatchesAreSplitWithoutLosingRows() {
        DualSamples.Batch batch = realBatch(3);
        batch.resize(1);
        Result single = gradients(batch, 1);
        Result split = gradients(batch, 2);
        assertThat(split.totals().loss()).isCloseTo(single.totals().loss(), offset(1e-5f));
        float[] expected = single.gradients().get(0);
        float[] actual = split.gradients().get(0);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).isCloseTo(expected[i], offset(1e-6f));
        }
    }

    @Test
    void stepWithWorkersUpdatesLikeTheCallingThreadWouldBitForBit() {
        DualSamples.Batch batch = realBatch(BATCH);
        List<float[]> onCaller;
        List<float[]> onWorkers;
        try (DualNetModel model = seededModel(); TrainingSteps steps = TrainingSteps.forModel(model, 2)) {
            AdamOptimizer optimizer = AdamOptimizer.withWeightDecay(model.packParameters(), 1e-4f);
            for (int i = 0; i < 3; i++) {
                steps.gradients(batch);
                optimizer.update(1e-3f);
            }
            onCaller = values(model);
        }
        try (DualNetModel model = seededModel(); TrainingSteps steps = TrainingSteps.forModel(model, 2)) {
            AdamOptimizer optimizer = AdamOptimizer.withWeightDecay(model.packParameters(), 1e-4f);
            for (int i = 0; i < 3; i++) {
                steps.step(batch, optimizer, 1e-3f);
            }
            onWorkers = values(model);
            assertThat(optimizer.step()).isEqualTo(3);
        }
        for (int p = 0; p < onCaller.size(); p++) {
            assertThat(onWorkers.get(p)).as("parameter %d", p).containsExactly(onCaller.get(p));
        }
    }

    /** Row 0 fails in the first worker's half, the last row in the second's. */
    @ParameterizedTest(name = "bad row {0}")
    @ValueSource(ints = {0, BATCH - 1})
    @Timeout(120)
    void aWorkersOwnFailureReachesTheCallerAndTheOtherWorkerDoesNotHang(int badRow) {
        DualSamples.Batch batch = realBatch(BATCH);
        long number = batch.numbers()[badRow];
        batch.numbers()[badRow] = 12; // outside 0..9: the one-hot encoding of that half fails
        try (DualNetModel model = seededModel(); TrainingSteps steps = TrainingSteps.forModel(model, 2)) {
            AdamOptimizer optimizer = AdamOptimizer.withWeightDecay(model.packParameters(), 0f);
            assertThatThrownBy(() -> steps.step(batch, optimizer, 1e-3f))
                    .isNotInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("num_classes");
            batch.numbers()[badRow] = number;
            assertThat(steps.step(batch, optimizer, 1e-3f).loss()).isPositive();
        }
    }

    @Test
    void networksWithBatchNormStayOnTheCallingThread() {
        try (DualNetModel model = DualNetModel.create(Preset.DEFAULT, Device.cpu());
                TrainingSteps steps = TrainingSteps.forModel(model, 2)) {
            assertThat(model.hasBatchNorm()).isTrue();
            assertThat(steps.workers()).isZero();
        }
    }

    private record Result(int workers, TrainingSteps.StepTotals totals, List<float[]> gradients) {}

    private static Result gradients(DualSamples.Batch batch, int threads) {
        try (DualNetModel model = seededModel(); TrainingSteps steps = TrainingSteps.forModel(model, threads)) {
            TrainingSteps.StepTotals totals = steps.gradients(batch);
            List<float[]> gradients = new ArrayList<>();
            for (Parameter parameter : model.parameters().values()) {
                try (NDArray gradient = parameter.getArray().getGradient()) {
                    gradients.add(gradient.toFloatArray());
                }
            }
            return new Result(steps.workers(), totals, gradients);
        }
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
