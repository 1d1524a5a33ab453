package dev.dualnet.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.dualnet.trainer.data.DualSamples.Batch;
import dev.dualnet.trainer.model.DualNetModel;
import dev.dualnet.trainer.model.ParameterGradient;

/**
 * Runs the two halves of a training step, the gradients of one batch's loss and the optimizer update,
 * on the calling thread; the engine's intra-op threads share out each kernel.
 *
 * <p>Every step runs on one thread because that is what keeps a run reproducible bit for bit.
 * Data-parallel workers, each running forward and backward on part of the batch, train faster on
 * several cores, but an uninterrupted multi-worker run can end with weights far from those of the same
 * run killed and resumed. One thread per step is the execution model libtorch itself keeps
 * deterministic for a fixed thread count.
 */
final class TrainingSteps {
    private final DualNetModel model;

    TrainingSteps(DualNetModel model) {
        this.model = model;
    }

    /**
     * Runs the forward and backward pass of a batch in training mode, adding the gradients of its
     * mean loss to the parameters' gradients.
     *
     * @return the batch's mean loss and how many digits and sums the model got right
     */
    StepTotals gradients(Batch batch) {
        try (GradientCollector collector = model.manager().getEngine().newGradientCollector();
                NDManager scope = model.manager().newSubManager()) {
            BatchTensors tensors = BatchTensors.of(batch, scope);
            NDList out = model.forward(tensors.inputs(), true);
            NDArray loss = DualLoss.of(out.get(0), out.get(1), tensors.digits(), tensors.sums());
            collector.backward(loss);
            for (ParameterGradient owed : model.deferredGradients()) {
                EngineAutograd.addToGradient(owed.parameter(), owed.gradient(), collector);
            }
            Hits hits = Hits.of(out, batch);
            return new StepTotals(loss.getFloat(), hits.digit(), hits.sum());
        }
    }

    /**
     * One whole training step: the batch's gradients, then the optimizer update, which also clears
     * the gradients for the next batch.
     *
     * @return the batch's mean loss and how many digits and sums the model got right
     */
    StepTotals step(Batch batch, AdamOptimizer optimizer, float learningRate) {
        StepTotals totals = gradients(batch);
        optimizer.update(learningRate);
        return totals;
    }

    /**
     * What one batch reports.
     *
     * @param loss mean loss over the batch
     * @param digitRight rows whose digit was predicted right
     * @param sumRight rows whose sum was predicted right
     */
    record StepTotals(float loss, long digitRight, long sumRight) {}
}
