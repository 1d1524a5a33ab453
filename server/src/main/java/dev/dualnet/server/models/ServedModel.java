package dev.dualnet.server.models;

import dev.dualnet.common.DualNetInterface;
import dev.dualnet.runtime.DualNetPredictor;
import dev.dualnet.runtime.ExecutionProvider;
import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.config.ModelSignature;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One model of the repository as the server sees it: ready to serve, or refused with the reason.
 * Ready models run through a {@link DynamicBatcher} when batching is on and every input is batched
 * along its first dimension.
 */
public final class ServedModel implements AutoCloseable {
    /** Whether a model serves, and why not. */
    public enum Status {
        READY,
        FAILED
    }

    private final String name;
    private final long version;
    private final Path file;
    private final Status status;
    private final String reason;
    private final OnnxModel model;
    private final boolean dualnet;
    private final DynamicBatcher batcher;
    private final String parity;
    private final int maxQueueSize;
    private final RequestValidator validator;
    private final java.util.concurrent.atomic.AtomicInteger held = new java.util.concurrent.atomic.AtomicInteger();

    private ServedModel(String name, long version, Path file, Status status, String reason, OnnxModel model,
            boolean dualnet, DynamicBatcher batcher, String parity, int maxQueueSize, RequestValidator validator) {
        this.name = name;
        this.version = version;
        this.file = file;
        this.status = status;
        this.reason = reason;
        this.model = model;
        this.dualnet = dualnet;
        this.batcher = batcher;
        this.parity = parity;
        this.maxQueueSize = maxQueueSize;
        this.validator = validator;
    }

    static ServedModel ready(String name, long version, OnnxModel model, RequestValidator validator,
            DynamicBatcher batcher, String parity, int maxQueueSize) {
        return new ServedModel(name, version, model.path(), Status.READY, null, model,
                DualNetPredictor.hasDualnetInterface(model), batcher, parity, maxQueueSize, validator);
    }

    /** @param reason why it does not serve, fit for clients: no paths, no library names */
    static ServedModel failed(String name, long version, Path file, String reason) {
        return new ServedModel(name, version, file, Status.FAILED, reason, null, false, null, null, 0, null);
    }

    /**
     * Takes a place in the model's queue, which holds the requests admitted and not yet
     * answered; {@link #release} gives it back.
     *
     * @return false when the queue is full, so the request should be refused at once
     */
    public boolean tryAdmit() {
        if (held.incrementAndGet() > maxQueueSize) {
            held.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Gives back the place a successful {@link #tryAdmit} took. */
    public void release() {
        held.decrementAndGet();
    }

    /** Requests the model holds at once, queued or running. */
    public int maxQueueSize() {
        return maxQueueSize;
    }

    public String name() {
        return name;
    }

    public long version() {
        return version;
    }

    public Path file() {
        return file;
    }

    public boolean ready() {
        return status == Status.READY;
    }

    public String reason() {
        return reason;
    }

    /** "passed", "none" (no bundle) or null when the model was refused. */
    public String parity() {
        return parity;
    }

    public ExecutionProvider executionProvider() {
        return model == null ? null : model.executionProvider();
    }

    /** The interface clients see: its config.pbtxt resolved against the graph. */
    public ModelSignature signature() {
        return validator.signature();
    }

    /** Whether the model has the dualnet interface, so /predict can use it. */
    public boolean isDualnet() {
        return dualnet;
    }

    /**
     * Runs a request, batched with others when possible.
     *
     * @throws InvalidInputException if the request does not fit the model's signature
     */
    public CompletableFuture<Map<String, NamedTensor>> infer(List<NamedTensor> feeds, Set<String> outputs) {
        RequestValidator.Checked request = validator.check(feeds, outputs);
        if (dualnet) {
            checkDualnetValues(request.feeds());
        }
        if (batcher == null || !request.batched()) {
            return CompletableFuture.completedFuture(model.run(request.feeds(), request.outputs()));
        }
        model.validate(request.feeds(), request.outputs());
        return batcher.submit(request.feeds(), request.outputs(), request.rows());
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

    @Override
    public void close() {
        if (batcher != null) {
            batcher.close();
        }
        if (model != null) {
            model.close();
        }
    }
}
