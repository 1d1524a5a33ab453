package dev.dualnet.trainer.train;

import dev.dualnet.common.cli.EnumIds;

/** How the learning rate moves over a run, as a function of the step and the total steps. */
public enum LearningRateSchedule {
    /** The base rate throughout. */
    CONSTANT {
        @Override
        public float rate(float base, long step, long totalSteps) {
            return base;
        }
    },
    /** Cosine decay from the base rate to zero over the run. */
    COSINE {
        @Override
        public float rate(float base, long step, long totalSteps) {
            return (float) (base * cosine(step, totalSteps));
        }
    },
    /**
     * One-cycle: a linear warm-up from a 25th of the base rate to the base rate over the first
     * {@value #WARMUP_SHARE} of the steps, then cosine decay to a 10,000th of it.
     */
    ONECYCLE {
        @Override
        public float rate(float base, long step, long totalSteps) {
            long warmup = Math.max(1, Math.round(totalSteps * WARMUP_SHARE));
            if (step < warmup) {
                double start = base / 25.0;
                return (float) (start + (base - start) * step / warmup);
            }
            double floor = base / 1e4;
            return (float) (floor + (base - floor) * cosine(step - warmup, totalSteps - warmup));
        }
    };

    static final double WARMUP_SHARE = 0.2;

    /**
     * The learning rate for a 0-based step.
     *
     * @param base the configured learning rate
     * @param step updates done so far in the run
     * @param totalSteps updates the whole run will do
     */
    public abstract float rate(float base, long step, long totalSteps);

    public String id() {
        return EnumIds.id(this);
    }

    /**
     * Finds a schedule by its command-line name.
     *
     * @throws IllegalArgumentException naming the known schedules when none matches
     */
    public static LearningRateSchedule fromId(String id) {
        return EnumIds.parse(LearningRateSchedule.class, id, "schedule");
    }

    private static double cosine(long step, long steps) {
        double progress = steps <= 0 ? 1.0 : Math.min(1.0, (double) step / steps);
        return 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
