package dev.dualnet.trainer.train;

/**
 * Test-set figures of a model. Accuracies are fractions in [0, 1].
 *
 * @param samples samples evaluated
 * @param loss mean loss
 * @param digitAccuracy digit head accuracy
 * @param sumAccuracy sum head accuracy
 * @param bothAccuracy share with both heads right
 */
public record Evaluation(int samples, double loss, double digitAccuracy, double sumAccuracy, double bothAccuracy) {}
