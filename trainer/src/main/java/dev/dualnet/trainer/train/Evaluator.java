package dev.dualnet.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.dualnet.trainer.data.DualSamples;
import dev.dualnet.trainer.model.DualNetModel;

/** Measures a model on a fixed pairing of samples, in inference mode. */
public final class Evaluator {
    private final DualSamples samples;
    private final DualSamples.Plan plan;
    private final int batchSize;

    public Evaluator(DualSamples samples, DualSamples.Plan plan, int batchSize) {
        this.samples = samples;
        this.plan = plan;
        this.batchSize = batchSize;
    }

    public Evaluation evaluate(DualNetModel model) {
        DualSamples.Batch batch = new DualSamples.Batch(batchSize, 28 * 28);
        double lossSum = 0;
        long digitRight = 0;
        long sumRight = 0;
        long bothRight = 0;
        int total = samples.size();
        for (int from = 0; from < total; from += batchSize) {
            batch.resize(Math.min(batchSize, total - from));
            samples.fill(plan, from, batch);
            try (NDManager scope = model.manager().newSubManager()) {
                BatchTensors tensors = BatchTensors.of(batch, scope);
                NDList out = model.forward(tensors.inputs(), false);
                NDArray loss = DualLoss.of(out.get(0), out.get(1), tensors.digits(), tensors.sums());
                lossSum += loss.getFloat() * batch.size();
                Hits hits = Hits.of(out, batch);
                digitRight += hits.digit();
                sumRight += hits.sum();
                bothRight += hits.both();
            }
        }
        return new Evaluation(total, lossSum / total, (double) digitRight / total, (double) sumRight / total,
                (double) bothRight / total);
    }
}
