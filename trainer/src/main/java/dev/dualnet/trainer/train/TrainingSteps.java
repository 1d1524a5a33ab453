package dev.dualnet.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.dualnet.trainer.data.DualSamples.Batch;
import dev.dualnet.trainer.model.DualNetModel;
import dev.dualnet.trainer.model.PackedParameters.Range;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;

/**
 * Runs the two halves of a training step, the gradients of one batch's loss and the optimizer update,
 * on the calling thread or split across data-parallel workers.
 *
 * <p>At the seed preset's size, a training step is mostly fixed per-operation cost, which intra-op
 * threads cannot share out: two workers that each run the forward and backward pass of half the
 * batch on one thread train about 1.2 times as fast on two cores as one thread with two intra-op
 * threads (8.05 against 6.71 ms per batch of 64, BENCHMARKS.md). Each worker's loss is scaled by
 * its share of the batch, so the summed gradient is the whole batch's. With two workers the sum is
 * the same whichever finishes first (float addition commutes), so runs stay bit-for-bit
 * reproducible; more than two would make the order matter, which is why there are at most two.
 * Networks with batch norm always run on one thread: their batch statistics, and the running
 * averages they update, must see the whole batch.
 */
final class TrainingSteps implements AutoCloseable {
    /** Most workers whose gradient sum does not depend on completion order. */
    static final int MAX_WORKERS = 2;

    private final DualNetModel model;
    private final List<ExecutorService> workers;

    private TrainingSteps(DualNetModel model, List<ExecutorService> workers) {
        this.model = model;
        this.workers = workers;
    }

    /**
     * Picks the split for a model on its device: two workers on a CPU with at least two threads and
     * no batch norm in the network, otherwise the calling thread alone with all {@code threads}.
     */
    static TrainingSteps forModel(DualNetModel model, int threads) {
        Device device = model.device();
        boolean split = threads >= MAX_WORKERS && !device.isGpu() && !model.hasBatchNorm();
        if (!split) {
            return new TrainingSteps(model, List.of());
        }
        List<ExecutorService> workers = new ArrayList<>();
        for (int k = 0; k < MAX_WORKERS; k++) {
            int intraOp = threads / MAX_WORKERS + (k < threads % MAX_WORKERS ? 1 : 0);
            String name = "dualnet-train-worker-" + k;
            ExecutorService worker = Executors.newSingleThreadExecutor(task -> {
                Thread thread = new Thread(task, name);
                thread.setDaemon(true);
                return thread;
            });
            workers.add(worker);
            worker.execute(() -> {
                EngineAutograd.intraOpThreadsOnThisThread(intraOp);
                EngineAutograd.recordOnThisThread(true);
            });
        }
        return new TrainingSteps(model, workers);
    }

    /** Data-parallel workers in use; 0 when the calling thread computes the whole batch. */
    int workers() {
        return workers.size();
    }

    /**
     * Runs the forward and backward pass of a batch in training mode, adding the gradients of its
     * mean loss to the parameters' gradients.
     *
     * @return the batch's mean loss and how many digits and sums the model got right
     */
    StepTotals gradients(Batch batch) {
        if (workers.isEmpty()) {
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                return slice(batch, 0, batch.size(), collector::backward);
            }
        }
        List<Future<StepTotals>> parts = new ArrayList<>();
        for (int k = 0; k < workers.size(); k++) {
            parts.add(submitSlice(batch, k, totals -> totals, () -> { }));
        }
        return sum(parts);
    }

    /**
     * Runs worker {@code k}'s rows of the batch forward and backward on it, then {@code after}; if
     * the pass fails, runs {@code failed} first so that no other worker waits for this one.
     */
    private Future<StepTotals> submitSlice(Batch batch, int k, UnaryOperator<StepTotals> after, Runnable failed) {
        int from = batch.size() * k / workers.size();
        int to = batch.size() * (k + 1) / workers.size();
        return workers.get(k).submit(() -> {
            StepTotals totals;
            try {
                totals = slice(batch, from, to, EngineAutograd::backward);
            } catch (RuntimeException | Error e) {
                failed.run();
                throw e;
            }
            return after.apply(totals);
        });
    }

    /**
     * Adds up the workers' totals once all have finished. If any failed, throws the failure that
     * started it rather than another worker's report that it stopped waiting.
     */
    private static StepTotals sum(List<Future<StepTotals>> parts) {
        StepTotals total = StepTotals.NONE;
        RuntimeException failure = null;
        for (Future<StepTotals> part : parts) {
            try {
                total = total.plus(join(part));
            } catch (RuntimeException e) {
                if (failure == null || failure instanceof PeerFailed) {
                    failure = e;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return total;
    }

    /**
     * One whole training step: the batch's gradients, then the optimizer update. With workers, each
     * computes its part of the gradients, waits for the other (the summed gradient is complete only
     * then) and updates its own range of the parameters: the update is elementwise, so the result does
     * not depend on the split, and a step costs one hand-off between threads instead of two.
     *
     * @return the batch's mean loss and how many digits and sums the model got right
     */
    StepTotals step(Batch batch, AdamOptimizer optimizer, float learningRate) {
        if (workers.isEmpty()) {
            StepTotals totals = gradients(batch);
            optimizer.update(learningRate);
            return totals;
        }
        AdamOptimizer.Step update = optimizer.begin(learningRate);
        List<Range> ranges = optimizer.parameters().split(workers.size());
        Rendezvous gradientsSummed = new Rendezvous(workers.size());
        List<Future<StepTotals>> parts = new ArrayList<>();
        for (int k = 0; k < workers.size(); k++) {
            Range range = ranges.get(k);
            parts.add(submitSlice(batch, k, totals -> {
                gradientsSummed.arriveAndAwait();
                optimizer.update(update, range);
                return totals;
            }, gradientsSummed::fail));
        }
        return sum(parts);
    }

    /** Loss of rows [from, to) scaled by their share of the batch, and its backward pass. */
    private StepTotals slice(Batch batch, int from, int to, Backward backward) {
        if (from == to) {
            return StepTotals.NONE;
        }
        try (NDManager scope = model.manager().newSubManager()) {
            BatchTensors tensors = BatchTensors.of(batch, from, to, scope);
            NDList out = model.forward(tensors.inputs(), true);
            NDArray loss = DualLoss.of(out.get(0), out.get(1), tensors.digits(), tensors.sums());
            if (to - from != batch.size()) {
                loss = loss.mul((float) (to - from) / batch.size());
            }
            backward.run(loss);
            Hits hits = Hits.of(out, batch, from, to);
            return new StepTotals(loss.getFloat(), hits.digit(), hits.sum());
        }
    }

    private static StepTotals join(Future<StepTotals> part) {
        try {
            return part.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a training worker", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException("a training worker failed", e.getCause());
        }
    }

    @Override
    public void close() {
        workers.forEach(ExecutorService::shutdownNow);
    }

    /**
     * Where the workers of one step meet once every backward pass is in. A worker whose pass fails
     * still checks in, so nobody waits for it, and the others then stop instead of updating.
     */
    private static final class Rendezvous {
        private final CountDownLatch pending;
        private final AtomicBoolean failed = new AtomicBoolean();

        Rendezvous(int workers) {
            pending = new CountDownLatch(workers);
        }

        /**
         * Checks in this worker's gradients and waits for the others'.
         *
         * @throws PeerFailed if another worker failed
         */
        void arriveAndAwait() {
            pending.countDown();
            try {
                pending.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the other training worker", e);
            }
            if (failed.get()) {
                throw new PeerFailed();
            }
        }

        /** Checks in a worker whose pass failed. */
        void fail() {
            failed.set(true);
            pending.countDown();
        }
    }

    /** A worker stopped because another worker failed first. */
    private static final class PeerFailed extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        PeerFailed() {
            super("the other training worker failed");
        }
    }

    @FunctionalInterface
    private interface Backward {
        void run(NDArray loss);
    }

    /**
     * What one batch (or one worker's share of it) reports.
     *
     * @param loss mean loss over the whole batch (a worker's share is already scaled)
     * @param digitRight rows whose digit was predicted right
     * @param sumRight rows whose sum was predicted right
     */
    record StepTotals(float loss, long digitRight, long sumRight) {
        static final StepTotals NONE = new StepTotals(0f, 0, 0);

        StepTotals plus(StepTotals other) {
            return new StepTotals(loss + other.loss, digitRight + other.digitRight, sumRight + other.sumRight);
        }
    }
}
