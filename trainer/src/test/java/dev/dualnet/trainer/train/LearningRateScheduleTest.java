package dev.dualnet.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {
    private static final float BASE = 0.01f;
    private static final long STEPS = 1000;

    @Test
    void constantNeverMoves() {
        assertThat(LearningRateSchedule.CONSTANT.rate(BASE, 0, STEPS)).isEqualTo(BASE);
        assertThat(LearningRateSchedule.CONSTANT.rate(BASE, 999, STEPS)).isEqualTo(BASE);
    }

    @Test
    void cosineFallsFromBaseToZero() {
        assertThat(LearningRateSchedule.COSINE.rate(BASE, 0, STEPS)).isEqualTo(BASE);
        assertThat(LearningRateSchedule.COSINE.rate(BASE, 500, STEPS)).isCloseTo(BASE / 2, within(1e-6f));
        assertThat(LearningRateSchedule.COSINE.rate(BASE, STEPS, STEPS)).isCloseTo(0f, within(1e-9f));
    }

    @Test
    void oneCycleWarmsUpThenAnneals() {
        LearningRateSchedule s = LearningRateSchedule.ONECYCLE;
        assertThat(s.rate(BASE, 0, STEPS)).isCloseTo(BASE / 25, within(1e-7f));
        assertThat(s.rate(BASE, 100, STEPS)).isBetween(BASE / 25, BASE);
        assertThat(s.rate(BASE, 200, STEPS)).isCloseTo(BASE, within(1e-7f));
        assertThat(s.rate(BASE, 600, STEPS)).isLessThan(BASE).isGreaterThan(BASE / 1e4f);
        assertThat(s.rate(BASE, STEPS, STEPS)).isCloseTo(BASE / 1e4f, within(1e-9f));
        float previous = Float.MAX_VALUE;
        for (long step = 200; step <= STEPS; step += 50) {
            float rate = s.rate(BASE, step, STEPS);
            assertThat(rate).isLessThanOrEqualTo(previous);
            previous = rate;
        }
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        assertThat(LearningRateSchedule.fromId("cosine")).isEqualTo(LearningRateSchedule.COSINE);
        assertThatThrownBy(() -> LearningRateSchedule.fromId("step"))
                .hasMessage("unknown schedule 'step', expected one of: constant, cosine, onecycle");
    }
}
