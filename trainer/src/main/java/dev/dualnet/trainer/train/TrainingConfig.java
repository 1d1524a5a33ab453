package dev.dualnet.trainer.train;

import dev.dualnet.trainer.model.Preset;

/**
 * Everything that determines a training run. Saved with every checkpoint; a resumed run uses the
 * saved copy, so the run can be replayed exactly.
 *
 * @param preset network design
 * @param epochs epochs to train
 * @param batchSize samples per update
 * @param learningRate base learning rate of the schedule
 * @param schedule learning-rate schedule
 * @param weightDecay L2 weight decay applied by Adam
 * @param seed seed of weight initialisation, sample order and training numbers
 * @param testSeed seed of the fixed numbers paired with test images
 * @param threads intra-op threads of the engine
 * @param device "auto" (CUDA when present, else CPU), "cpu", or "gpu" / "gpu:N"
 * @param trainLimit use only the first N training samples (0 = all)
 * @param testLimit use only the first N test samples (0 = all)
 */
public record TrainingConfig(
        String preset,
        int epochs,
        int batchSize,
        float learningRate,
        String schedule,
        float weightDecay,
        long seed,
        long testSeed,
        int threads,
        String device,
        int trainLimit,
        int testLimit) {

    public TrainingConfig {
        Preset.fromId(preset);
        LearningRateSchedule.fromId(schedule);
        require(epochs >= 1, "epochs must be at least 1, got " + epochs);
        require(batchSize >= 1, "batch size must be at least 1, got " + batchSize);
        require(learningRate > 0 && Float.isFinite(learningRate), "learning rate must be positive, got " + learningRate);
        require(weightDecay >= 0 && Float.isFinite(weightDecay), "weight decay must be >= 0, got " + weightDecay);
        require(threads >= 1, "threads must be at least 1, got " + threads);
        require(trainLimit >= 0, "train limit must be >= 0 (0: all samples), got " + trainLimit);
        require(testLimit >= 0, "test limit must be >= 0 (0: all samples), got " + testLimit);
        require(device.equals("auto") || device.equals("cpu") || device.matches("gpu(:\\d+)?"),
                "device must be auto, cpu, gpu or gpu:N, got '" + device + "'");
    }

    /**
     * The settings a preset was tuned with, choosing the device automatically.
     *
     * @param epochs epochs, or null for the preset's
     * @param trainLimit train on the first N samples only (0 = all)
     */
    public static TrainingConfig forPreset(Preset preset, Integer epochs, long seed, long testSeed, int threads,
            int trainLimit) {
        Preset.TrainingDefaults defaults = preset.defaults();
        return new TrainingConfig(preset.id(), epochs != null ? epochs : defaults.epochs(), defaults.batchSize(),
                defaults.learningRate(), defaults.schedule(), 0f, seed, testSeed, threads, "auto", trainLimit, 0);
    }

    public Preset presetValue() {
        return Preset.fromId(preset);
    }

    public LearningRateSchedule scheduleValue() {
        return LearningRateSchedule.fromId(schedule);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
