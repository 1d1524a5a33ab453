package dev.dualnet.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.trainer.testing.RealMnist;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DualSamplesTest {
    private final DualSamples samples = new DualSamples(RealMnist.data().test());

    @Test
    void numbersAreUniformOverZeroToNine() {
        byte[] numbers = samples.fixedPlan(7).numbers();
        int[] counts = new int[10];
        for (byte n : numbers) {
            counts[n]++;
        }
        // 10,000 draws: each value expected 1,000 times, sd ~30; 6 sd is far beyond chance.
        assertThat(Arrays.stream(counts).boxed().toList()).allSatisfy(c -> assertThat(c).isBetween(820, 1180));
    }

    @Test
    void sumIsDigitPlusNumber() {
        DualSamples.Plan plan = samples.trainingPlan(3);
        DualSamples.Batch batch = new DualSamples.Batch(500, 784);
        samples.fill(plan, 100, batch);
        for (int b = 0; b < batch.size(); b++) {
            int sample = plan.order()[100 + b];
            assertThat(batch.digits()[b]).isEqualTo(RealMnist.data().test().labels().get(sample));
            assertThat(batch.numbers()[b]).isEqualTo(plan.numbers()[sample]);
            assertThat(batch.sums()[b]).isEqualTo(batch.digits()[b] + batch.numbers()[b]).isBetween(0L, 18L);
        }
    }

    @Test
    void pixelsAreScaledToUnitInterval() {
        DualSamples.Batch batch = new DualSamples.Batch(8, 784);
        samples.fill(samples.fixedPlan(1), 0, batch);
        float max = 0;
        for (float p : batch.pixels()) {
            assertThat(p).isBetween(0f, 1f);
            max = Math.max(max, p);
        }
        assertThat(max).isEqualTo(1f);
        assertThat(batch.pixels()[0]).isEqualTo((RealMnist.data().test().images().pixels()[0] & 0xFF) / 255f);
    }

    @Test
    void everyPixelIsItsByteDividedBy255() {
        DualSamples.Plan plan = samples.trainingPlan(4);
        DualSamples.Batch batch = new DualSamples.Batch(200, 784);
        samples.fill(plan, 37, batch);
        byte[] bytes = RealMnist.data().test().images().pixels();
        Set<Integer> seen = new HashSet<>();
        for (int b = 0; b < batch.size(); b++) {
            int source = plan.order()[37 + b] * 784;
            for (int p = 0; p < 784; p++) {
                int value = bytes[source + p] & 0xFF;
                seen.add(value);
                assertThat(batch.pixels()[b * 784 + p]).as("image %d pixel %d", b, p).isEqualTo(value / 255f);
            }
        }
        assertThat(seen).as("byte values covered").hasSizeGreaterThan(250);
    }

    @Test
    void testPairingIsFixedBySeed() {
        assertThat(samples.fixedPlan(11).numbers()).isEqualTo(samples.fixedPlan(11).numbers());
        assertThat(samples.fixedPlan(11).numbers()).isNotEqualTo(samples.fixedPlan(12).numbers());
        assertThat(samples.fixedPlan(11).order()).isSorted();
    }

    @Test
    void trainingPlansAreRedrawnEachEpochAndReproducible() {
        DualSamples.Plan epoch1 = samples.trainingPlan(DualSamples.epochSeed(42, 1));
        DualSamples.Plan epoch2 = samples.trainingPlan(DualSamples.epochSeed(42, 2));
        DualSamples.Plan epoch1Again = samples.trainingPlan(DualSamples.epochSeed(42, 1));
        assertThat(epoch1.numbers()).isEqualTo(epoch1Again.numbers()).isNotEqualTo(epoch2.numbers());
        assertThat(epoch1.order()).isEqualTo(epoch1Again.order()).isNotEqualTo(epoch2.order());
        int[] sorted = epoch1.order().clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            assertThat(sorted[i]).isEqualTo(i);
        }
    }
}
