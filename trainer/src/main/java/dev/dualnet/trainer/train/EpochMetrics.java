package dev.dualnet.trainer.train;

/**
 * What one epoch measured. Accuracies are fractions in [0, 1].
 *
 * @param epoch 1-based epoch number
 * @param trainLoss mean training loss (digit + sum cross-entropy) over the epoch
 * @param trainDigitAccuracy running digit accuracy over the epoch's training batches
 * @param trainSumAccuracy running sum accuracy over the epoch's training batches
 * @param testLoss mean loss on the test set
 * @param testDigitAccuracy digit accuracy on the test set
 * @param testSumAccuracy sum accuracy on the test set
 * @param testBothAccuracy share of test samples with digit and sum both right
 * @param learningRate learning rate at the epoch's last step
 * @param trainSeconds wall time of the epoch's training steps, evaluation excluded
 * @param samplesPerSecond training throughput over the epoch
 */
public record EpochMetrics(
        int epoch,
        double trainLoss,
        double trainDigitAccuracy,
        double trainSumAccuracy,
        double testLoss,
        double testDigitAccuracy,
        double testSumAccuracy,
        double testBothAccuracy,
        double learningRate,
        double trainSeconds,
        double samplesPerSecond) {}
