package dev.dualnet.server.models;

import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.OnnxModel;
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
 * Gathers concurrent requests to one model into a single runtime call, like Triton's dynamic
 * batcher: the first waiting request opens a batch, which takes further compatible requests until
 * it holds {@code maxBatchRows} rows or {@code maxDelayMicros} have passed, then runs once; each
 * request gets back its own rows. Requests are compatible when they ask for the same outputs and
 * their inputs agree on every dimension but the first.
 */
public final class DynamicBatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);

    private final OnnxModel model;
    private final int maxBatchRows;
    private final long maxDelayNanos;
    private final IntConsumer batchSizeObserver;
    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Thread worker;
    private volatile boolean running = true;
    private Job carried;

    private record Job(List<NamedTensor> feeds, Set<String> outputs, int rows, String signature,
            CompletableFuture<Map<String, NamedTensor>> result) {}

    /**
     * @param batchSizeObserver told the row count of every batch run, for metrics
     */
    public DynamicBatcher(OnnxModel model, int maxBatchRows, long maxDelayMicros, IntConsumer batchSizeObserver) {
        this.model = model;
        this.maxBatchRows = maxBatchRows;
        this.maxDelayNanos = TimeUnit.MICROSECONDS.toNanos(maxDelayMicros);
        this.batchSizeObserver = batchSizeObserver;
        this.worker = new Thread(this::loop, "batcher-" + model.path().getParent().getParent().getFileName());
        worker.setDaemon(true);
        worker.start();
    }

    /**
     * Queues a validated request; the future completes with its outputs or the runtime's exception.
     *
     * @param rows the request's size along the first dimension of every input
     */
    public CompletableFuture<Map<String, NamedTensor>> submit(List<NamedTensor> feeds, Set<String> outputs, int rows) {
        CompletableFuture<Map<String, NamedTensor>> result = new CompletableFuture<>();
        if (!running) {
            result.completeExceptionally(new IllegalStateException("the model is shutting down"));
            return result;
        }
        queue.add(new Job(feeds, outputs, rows, signature(feeds, outputs), result));
        return result;
    }

    private void loop() {
        while (running || !queue.isEmpty() || carried != null) {
            try {
                Job first = carried != null ? carried : queue.poll(100, TimeUnit.MILLISECONDS);
                carried = null;
                if (first == null) {
                    continue;
                }
                List<Job> batch = new ArrayList<>();
                batch.add(first);
                int rows = first.rows();
                long deadline = System.nanoTime() + maxDelayNanos;
                while (rows < maxBatchRows) {
                    long wait = deadline - System.nanoTime();
                    Job next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    if (!next.signature().equals(first.signature()) || rows + next.rows() > maxBatchRows) {
                        carried = next;
                        break;
                    }
                    batch.add(next);
                    rows += next.rows();
                }
                run(batch, rows);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.error("batcher loop failed", e);
            }
        }
    }

    private void run(List<Job> batch, int rows) {
        batchSizeObserver.accept(rows);
        try {
            if (batch.size() == 1) {
                Job job = batch.get(0);
                job.result().complete(model.run(job.feeds(), job.outputs()));
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
            Map<String, NamedTensor> out = model.run(merged, batch.get(0).outputs());
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
                batch.forEach(this::runAlone);
            }
        } catch (RuntimeException e) {
            batch.forEach(job -> job.result().completeExceptionally(e));
        }
    }

    private void runAlone(Job job) {
        try {
            job.result().complete(model.run(job.feeds(), job.outputs()));
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

    /** Stops taking requests, finishes the queued ones, and stops the worker. */
    @Override
    public void close() {
        running = false;
        try {
            worker.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
