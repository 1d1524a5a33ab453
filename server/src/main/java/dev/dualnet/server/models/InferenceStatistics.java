package dev.dualnet.server.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Triton's statistics of one model version: how many requests succeeded and failed and how long
 * they took end to end, how long they queued, how long the runtime calls that served them spent on
 * inputs, inference and outputs, and the same per batch size. Updated concurrently without locks.
 */
public final class InferenceStatistics {
    /** A count of events and their total duration. */
    public record Duration(long count, long ns) {}

    /** The runtime calls made at one batch size. */
    public record BatchStatistics(long batchSize, Duration computeInput, Duration computeInfer,
            Duration computeOutput) {}

    /**
     * The statistics at one moment.
     *
     * @param lastInferenceMillis when the last request finished, in milliseconds since the epoch; 0 for never
     * @param inferenceCount inferences made, counting every row of a batched request
     * @param executionCount runtime calls made: one per batch
     * @param success requests answered, with their time from admission to answer
     * @param fail requests that failed after admission
     * @param queue time requests waited for a runtime call
     * @param computeInput time the runtime calls serving each request spent preparing inputs
     * @param computeInfer the same, running the model
     * @param computeOutput the same, reading outputs back
     * @param batches per batch size of the runtime calls, ascending
     */
    public record Snapshot(long lastInferenceMillis, long inferenceCount, long executionCount, Duration success,
            Duration fail, Duration queue, Duration computeInput, Duration computeInfer, Duration computeOutput,
            List<BatchStatistics> batches) {
        public Snapshot {
            batches = List.copyOf(batches);
        }
    }

    private static final class Counter {
        private final LongAdder count = new LongAdder();
        private final LongAdder ns = new LongAdder();

        void add(long times, long nanos) {
            count.add(times);
            ns.add(nanos);
        }

        Duration snapshot() {
            return new Duration(count.sum(), ns.sum());
        }
    }

    private record BatchCounters(Counter input, Counter infer, Counter output) {
        BatchCounters() {
            this(new Counter(), new Counter(), new Counter());
        }
    }

    private final Counter success = new Counter();
    private final Counter fail = new Counter();
    private final Counter queue = new Counter();
    private final Counter computeInput = new Counter();
    private final Counter computeInfer = new Counter();
    private final Counter computeOutput = new Counter();
    private final LongAdder inferences = new LongAdder();
    private final LongAdder executions = new LongAdder();
    private final AtomicLong lastInference = new AtomicLong();
    private final Map<Long, BatchCounters> batches = new ConcurrentSkipListMap<>();

    /** A request answered {@code nanos} after its admission, holding {@code rows} inferences. */
    void succeeded(long nanos, long rows) {
        success.add(1, nanos);
        inferences.add(rows);
        lastInference.set(System.currentTimeMillis());
    }

    /** A request that failed {@code nanos} after its admission. */
    void failed(long nanos) {
        fail.add(1, nanos);
        lastInference.set(System.currentTimeMillis());
    }

    /** A request that waited {@code nanos} before its runtime call started. */
    void queued(long nanos) {
        queue.add(1, nanos);
    }

    /**
     * One runtime call of {@code rows} rows serving {@code requests} requests; each request is
     * charged the call's durations, as Triton charges them.
     */
    void executed(long rows, int requests, long inputNanos, long inferNanos, long outputNanos) {
        executions.increment();
        computeInput.add(requests, requests * inputNanos);
        computeInfer.add(requests, requests * inferNanos);
        computeOutput.add(requests, requests * outputNanos);
        BatchCounters batch = batches.computeIfAbsent(rows, size -> new BatchCounters());
        batch.input().add(1, inputNanos);
        batch.infer().add(1, inferNanos);
        batch.output().add(1, outputNanos);
    }

    public Snapshot snapshot() {
        List<BatchStatistics> perBatch = new ArrayList<>();
        batches.forEach((size, counters) -> perBatch.add(new BatchStatistics(size, counters.input().snapshot(),
                counters.infer().snapshot(), counters.output().snapshot())));
        return new Snapshot(lastInference.get(), inferences.sum(), executions.sum(), success.snapshot(),
                fail.snapshot(), queue.snapshot(), computeInput.snapshot(), computeInfer.snapshot(),
                computeOutput.snapshot(), perBatch);
    }
}
