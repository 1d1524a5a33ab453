package dev.dualnet.server.models;

import dev.dualnet.common.DualNetInterface;
import dev.dualnet.runtime.DualNetPredictor;
import dev.dualnet.runtime.ExecutionProvider;
import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.config.ModelSignature;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded version of a model: its sessions (one per instance), the interface it enforces, its
 * batcher, its queue and its statistics. Requests hold an {@link Admission} while they run; a
 * version retired by a reload or unload takes no new admissions and closes once the last one ends.
 */
public final class ServedVersion {
    private static final Logger LOG = LoggerFactory.getLogger(ServedVersion.class);

    /** What the loader learned about the version besides its sessions. */
    record Facts(String name, long version, Path file, String parity, boolean weightsVerified, ModelConfig config,
            VersionFingerprint fingerprint) {}

    private final Facts facts;
    private final List<OnnxModel> instances;
    private final RequestValidator validator;
    private final DynamicBatcher batcher;
    private final int maxQueueSize;
    private final boolean dualnet;
    private final Executor closer;
    private final InferenceStatistics statistics;
    private final AtomicInteger held = new AtomicInteger();
    private final AtomicInteger next = new AtomicInteger();
    /** Admissions in progress; -1 once closed. */
    private final AtomicInteger leases = new AtomicInteger();
    private volatile boolean retired;

    ServedVersion(Facts facts, List<OnnxModel> instances, RequestValidator validator, DynamicBatcher batcher,
            int maxQueueSize, InferenceStatistics statistics, Executor closer) {
        this.facts = facts;
        this.instances = List.copyOf(instances);
        this.validator = validator;
        this.batcher = batcher;
        this.maxQueueSize = maxQueueSize;
        this.statistics = statistics;
        this.closer = closer;
        this.dualnet = DualNetPredictor.hasDualnetInterface(instances.get(0));
    }

    /** A request's hold on a version: a place in its queue, and the version kept open. Closing is idempotent. */
    public final class Admission implements AutoCloseable {
        private final AtomicInteger open = new AtomicInteger(1);
        private final long admitted = System.nanoTime();

        public ServedVersion version() {
            return ServedVersion.this;
        }

        /** Closes an admission whose request failed before its inference was submitted, counting the failure. */
        public void failed() {
            if (open.get() == 1) {
                statistics.failed(System.nanoTime() - admitted);
            }
            close();
        }

        @Override
        public void close() {
            if (open.getAndSet(0) == 1) {
                held.decrementAndGet();
                releaseLease();
            }
        }
    }

    /**
     * Admits a request.
     *
     * @return null when the version is retired, so the caller should look up the serving one again
     * @throws ModelUnavailableException when its queue is full
     */
    Admission tryAdmit() {
        if (!acquireLease()) {
            return null;
        }
        if (held.incrementAndGet() > maxQueueSize) {
            held.decrementAndGet();
            releaseLease();
            throw new ModelUnavailableException("model '" + name() + "' is busy: its queue holds " + maxQueueSize
                    + " requests; retry later", true);
        }
        return new Admission();
    }

    private boolean acquireLease() {
        while (true) {
            int current = leases.get();
            if (current < 0 || retired) {
                return false;
            }
            if (leases.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    private void releaseLease() {
        if (leases.decrementAndGet() == 0 && retired) {
            closeIfIdle();
        }
    }

    /** Stops admitting requests; the version closes once those admitted are answered. */
    void retire() {
        retired = true;
        closeIfIdle();
    }

    private void closeIfIdle() {
        if (leases.compareAndSet(0, -1)) {
            // Never on the thread that completed the last request: that may be one of the batcher's own workers.
            closer.execute(this::closeNow);
        }
    }

    /** Closes at once, admitted requests or not: for a server that stops. */
    void closeNow() {
        leases.set(-1);
        if (batcher != null) {
            batcher.close();
        }
        instances.forEach(OnnxModel::close);
        LOG.debug("model '{}' version {} closed", name(), version());
    }

    /**
     * Runs a request of an admission, batched with others when the model batches; the statistics
     * count it when its future completes. A request that throws here is counted by
     * {@link Admission#failed()}.
     *
     * @throws InvalidInputException if the request does not fit the model's signature
     */
    public CompletableFuture<Map<String, NamedTensor>> infer(List<NamedTensor> feeds, Set<String> outputs) {
        long start = System.nanoTime();
        CompletableFuture<Map<String, NamedTensor>> result;
        RequestValidator.Checked request = validator.check(feeds, outputs);
        if (dualnet) {
            checkDualnetValues(request.feeds());
        }
        int rows = Math.max(1, request.rows());
        if (batcher == null || !request.batched()) {
            OnnxModel instance = instances.get(Math.floorMod(next.getAndIncrement(), instances.size()));
            statistics.queued(0);
            result = CompletableFuture.completedFuture(instance.run(request.feeds(), request.outputs(),
                    (in, infer, out) -> statistics.executed(rows, 1, in, infer, out)));
        } else {
            instances.get(0).validate(request.feeds(), request.outputs());
            result = batcher.submit(request.feeds(), request.outputs(), request.rows());
        }
        return result.whenComplete((out, failure) -> {
            if (failure == null) {
                statistics.succeeded(System.nanoTime() - start, rows);
            } else {
                statistics.failed(System.nanoTime() - start);
            }
        });
    }

    /** dualnet's value ranges, which the model's types alone do not express. */
    private static void checkDualnetValues(List<NamedTensor> feeds) {
        for (NamedTensor feed : feeds) {
            if (feed.name().equals(DualNetInterface.IMAGE) && feed.data() instanceof float[] pixels) {
                DualNetPredictor.checkPixels(pixels);
            } else if (feed.name().equals(DualNetInterface.NUMBER) && feed.data() instanceof long[] numbers) {
                for (int i = 0; i < numbers.length; i++) {
                    DualNetPredictor.checkNumber(i, numbers[i]);
                }
            }
        }
    }

    public String name() {
        return facts.name();
    }

    public long version() {
        return facts.version();
    }

    public Path file() {
        return facts.file();
    }

    /** "passed" or "none" (no bundle). */
    public String parity() {
        return facts.parity();
    }

    public boolean weightsVerified() {
        return facts.weightsVerified();
    }

    /** The configuration as served: the file's, completed from the graph and the server's settings. */
    public ModelConfig config() {
        return facts.config();
    }

    VersionFingerprint fingerprint() {
        return facts.fingerprint();
    }

    public ExecutionProvider executionProvider() {
        return instances.get(0).executionProvider();
    }

    public int instanceCount() {
        return instances.size();
    }

    /** The interface clients see: its config.pbtxt resolved against the graph. */
    public ModelSignature signature() {
        return validator.signature();
    }

    /** Whether the model has the dualnet interface, so /predict can use it. */
    public boolean isDualnet() {
        return dualnet;
    }

    /** Whether requests to it are gathered into batches. */
    public boolean batching() {
        return batcher != null;
    }

    /** Requests the version holds at once, queued or running. */
    public int maxQueueSize() {
        return maxQueueSize;
    }

    public InferenceStatistics statistics() {
        return statistics;
    }
}
