package dev.dualnet.server.models;

import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.RunPhases;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gathers concurrent requests to one model version into single runtime calls, like Triton's
 * dynamic batcher. Each model instance has a worker: the first waiting request opens a batch, which
 * takes further compatible requests until it holds {@code maxBatchRows} rows, reaches a preferred
 * size with no other request waiting (or the largest preferred size), or {@code maxDelayMicros}
 * have passed; then it runs once on the worker's instance and each request gets back its own rows.
 * Requests are compatible when they ask for the same outputs and their inputs agree on every
 * dimension but the first. A request that waited longer than the queue timeout is refused instead
 * of run.
 */
public final class DynamicBatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);

    /**
     * How batches form.
     *
     * @param maxBatchRows the most rows one runtime call takes
     * @param maxDelayMicros how long an open batch waits for more requests
     * @param preferredSizes batch sizes worth closing a batch at, ascending; empty for none
     * @param queueTimeoutMicros how long a request may wait before it is refused; 0 for no limit
     */
    public record Policy(int maxBatchRows, long maxDelayMicros, List<Integer> preferredSizes, long queueTimeoutMicros) {
        public Policy {
            if (maxBatchRows < 1) {
                throw new IllegalArgumentException("maxBatchRows must be at least 1, got " + maxBatchRows);
            }
            preferredSizes = preferredSizes.stream().filter(size -> size > 0 && size <= maxBatchRows).sorted()
                    .distinct().toList();
        }

        int largestPreferred() {
            return preferredSizes.isEmpty() ? Integer.MAX_VALUE : preferredSizes.get(preferredSizes.size() - 1);
        }
    }

    private final String modelName;
    private final Policy policy;
    private final long maxDelayNanos;
    private final long queueTimeoutNanos;
    private final InferenceStatistics statistics;
    private final IntConsumer batchSizeObserver;
    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean running = true;

    private record Job(List<NamedTensor> feeds, Set<String> outputs, int rows, String signature, long enqueued,
            CompletableFuture<Map<String, NamedTensor>> result) {}

    /**
     * @param instances the sessions to run on, one worker each
     * @param statistics told the queue time of every request and the durations of every call
     * @param batchSizeObserver told the row count of every batch run, for metrics
     */
    public DynamicBatcher(String modelName, List<OnnxModel> instances, Policy policy, InferenceStatistics statistics,
            IntConsumer batchSizeObserver) {
        this.modelName = modelName;
        this.policy = policy;
        this.maxDelayNanos = TimeUnit.MICROSECONDS.toNanos(policy.maxDelayMicros());
        this.queueTimeoutNanos = TimeUnit.MICROSECONDS.toNanos(policy.queueTimeoutMicros());
        this.statistics = statistics;
        this.batchSizeObserver = batchSizeObserver;
        for (int i = 0; i < instances.size(); i++) {
            OnnxModel instance = instances.get(i);
            Thread worker = new Thread(() -> loop(instance), "batcher-" + modelName + "-" + i);
            worker.setDaemon(true);
            workers.add(worker);
        }
        workers.forEach(Thread::start);
    }

    /**
     * Queues a validated request; the future completes with its outputs, the runtime's exception, or
     * {@link ModelUnavailableException} when it waits past the queue timeout.
     *
     * @param rows the request's size along the first dimension of every input
     */
    public CompletableFuture<Map<String, NamedTensor>> submit(List<NamedTensor> feeds, Set<String> outputs, int rows) {
        CompletableFuture<Map<String, NamedTensor>> result = new CompletableFuture<>();
        if (!running) {
            result.completeExceptionally(new ModelUnavailableException("model '" + modelName + "' is shutting down",
                    true));
            return result;
        }
        queue.add(new Job(feeds, outputs, rows, signature(feeds, outputs), System.nanoTime(), result));
        return result;
    }

    private void loop(OnnxModel instance) {
        Job carried = null;
        while (running || !queue.isEmpty() || carried != null) {
            try {
                Job first = carried != null ? carried : queue.poll(100, TimeUnit.MILLISECONDS);
                carried = null;
                if (first == null || expired(first)) {
                    continue;
                }
                List<Job> batch = new ArrayList<>();
                batch.add(first);
                int rows = first.rows();
                long deadline = System.nanoTime() + maxDelayNanos;
                while (rows < policy.maxBatchRows() && rows < policy.largestPreferred()) {
                    // At a preferred size the batch takes only requests already waiting.
                    long wait = policy.preferredSizes().contains(rows) ? 0 : deadline - System.nanoTime();
                    Job next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    if (expired(next)) {
                        continue;
                    }
                    if (!next.signature().equals(first.signature()) || rows + next.rows() > policy.maxBatchRows()) {
                        carried = next;
                        break;
                    }
                    batch.add(next);
                    rows += next.rows();
                }
                run(instance, batch, rows);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.error("batcher loop of model '{}' failed", modelName, e);
            }
        }
    }

    /** Refuses a request that waited past the queue timeout; true when it did. */
    private boolean expired(Job job) {
        if (queueTimeoutNanos <= 0 || System.nanoTime() - job.enqueued() <= queueTimeoutNanos) {
            return false;
        }
        job.result().completeExceptionally(new ModelUnavailableException("the request waited longer than model '"
                + modelName + "''s queue timeout of " + policy.queueTimeoutMicros() + " us"
                + " (dynamic_batching.default_queue_policy.default_timeout_microseconds)", true));
        return true;
    }

    private void run(OnnxModel instance, List<Job> batch, int rows) {
        long start = System.nanoTime();
        for (Job job : batch) {
            statistics.queued(start - job.enqueued());
        }
        batchSizeObserver.accept(rows);
        RunPhases phases = (in, infer, out) -> statistics.executed(rows, batch.size(), in, infer, out);
        try {
            if (batch.size() == 1) {
                Job job = batch.get(0);
                job.result().complete(instance.run(job.feeds(), job.outputs(), phases));
                return;
            }
            List<NamedTensor> merged = new ArrayList<>();
            for (int i = 0; i < batch.get(0).feeds().size(); i++) {
                List<NamedTensor> parts = new ArrayList<>(batch.size());
                for (Job job : batch) {
                    parts.add(job.feeds().get(i));
                }
                merged.add(concat(parts, rows));
            }
            Map<String, NamedTensor> out = instance.run(merged, batch.get(0).outputs(), phases);
            int from = 0;
            for (Job job : batch) {
                Map<String, NamedTensor> own = new LinkedHashMap<>();
                for (NamedTensor tensor : out.values()) {
                    own.put(tensor.name(), slice(tensor, rows, from, job.rows()));
                }
                job.result().complete(own);
                from += job.rows();
            }
        } catch (InvalidInputException e) {
            if (batch.size() == 1) {
                batch.get(0).result().completeExceptionally(e);
            } else {
                // One request's values failed the whole batch: each runs alone, so only it gets the error.
                batch.forEach(job -> runAlone(instance, job));
            }
        } catch (RuntimeException e) {
            batch.forEach(job -> job.result().completeExceptionally(e));
        }
    }

    private void runAlone(OnnxModel instance, Job job) {
        try {
            job.result().complete(instance.run(job.feeds(), job.outputs(),
                    (in, infer, out) -> statistics.executed(job.rows(), 1, in, infer, out)));
        } catch (RuntimeException e) {
            job.result().completeExceptionally(e);
        }
    }

    private static NamedTensor concat(List<NamedTensor> parts, int rows) {
        NamedTensor first = parts.get(0);
        long[] shape = first.shape();
        shape[0] = rows;
        int total = 0;
        for (NamedTensor part : parts) {
            total += Array.getLength(part.data());
        }
        Object data = Array.newInstance(first.type().arrayType().getComponentType(), total);
        int at = 0;
        for (NamedTensor part : parts) {
            int length = Array.getLength(part.data());
            System.arraycopy(part.data(), 0, data, at, length);
            at += length;
        }
        return new NamedTensor(first.name(), first.type(), shape, data);
    }

    private static NamedTensor slice(NamedTensor tensor, int totalRows, int fromRow, int rows) {
        long[] shape = tensor.shape();
        if (shape.length == 0 || shape[0] != totalRows) {
            throw new IllegalStateException("output '" + tensor.name() + "' is not batched along its first dimension");
        }
        int rowSize = Array.getLength(tensor.data()) / totalRows;
        Object data = Array.newInstance(tensor.type().arrayType().getComponentType(), rows * rowSize);
        System.arraycopy(tensor.data(), fromRow * rowSize, data, 0, rows * rowSize);
        shape[0] = rows;
        return new NamedTensor(tensor.name(), tensor.type(), shape, data);
    }

    private static String signature(List<NamedTensor> feeds, Set<String> outputs) {
        StringBuilder key = new StringBuilder(new java.util.TreeSet<>(outputs).toString());
        for (NamedTensor feed : feeds) {
            long[] shape = feed.shape();
            key.append('|').append(feed.name()).append(':').append(feed.type())
                    .append(Arrays.toString(Arrays.copyOfRange(shape, Math.min(1, shape.length), shape.length)));
        }
        return key.toString();
    }

    /** Stops taking requests, finishes the queued ones, and stops the workers. */
    @Override
    public void close() {
        running = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (Thread worker : workers) {
            try {
                worker.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
