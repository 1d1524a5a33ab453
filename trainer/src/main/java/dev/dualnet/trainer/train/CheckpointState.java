package dev.dualnet.trainer.train;

import java.util.List;
import java.util.Map;

/**
 * The JSON part of a checkpoint: where the run stands and how to continue it.
 *
 * @param format checkpoint format version
 * @param epoch epochs completed
 * @param step optimizer updates completed
 * @param config the run's full configuration
 * @param rng the generator seeds the next epoch will use
 * @param history metrics of every completed epoch
 * @param dataChecksums SHA-256 of every data file, by path
 * @param trainSamples training samples per epoch
 * @param testSamples test samples per evaluation
 */
public record CheckpointState(
        int format,
        int epoch,
        long step,
        TrainingConfig config,
        RngState rng,
        List<EpochMetrics> history,
        Map<String, String> dataChecksums,
        int trainSamples,
        int testSamples) {

    public static final int FORMAT = 1;

    public CheckpointState {
        history = List.copyOf(history);
        dataChecksums = Map.copyOf(dataChecksums);
    }

    /**
     * Generator state for the next epoch. Both seeds are derived from (run seed, epoch), so they
     * restore the exact streams a run that was never stopped would have used.
     *
     * @param nextEpoch the epoch these seeds belong to
     * @param dataSeed seed of sample order and training numbers
     * @param engineSeed seed of the engine's generator (dropout, if any)
     */
    public record RngState(int nextEpoch, long dataSeed, long engineSeed) {}
}
