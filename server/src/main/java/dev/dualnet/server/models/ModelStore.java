package dev.dualnet.server.models;

import dev.dualnet.parity.ParityBundle;
import dev.dualnet.parity.ParityCheck;
import dev.dualnet.parity.ParityReport;
import dev.dualnet.parity.ReportWriter;
import dev.dualnet.runtime.ModelLoadException;
import dev.dualnet.runtime.ModelRepository;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.runtime.config.ModelConfigFile;
import dev.dualnet.runtime.config.ModelSignature;
import dev.dualnet.runtime.config.proto.ModelConfigProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every model of a repository directory, loaded at startup. A model with a parity bundle next to it
 * must reproduce the bundle before it serves; a model that cannot load or fails parity is refused
 * with a log line and reported as not ready, while the others serve.
 */
public final class ModelStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelStore.class);

    private final Map<String, ServedModel> models;

    private ModelStore(Map<String, ServedModel> models) {
        this.models = models;
    }

    /**
     * How models are opened, batched and queued.
     *
     * @param maxQueueSize requests a model holds at once unless its config says otherwise
     */
    public record Settings(RuntimeOptions runtime, boolean batching, int maxBatchSize, long batchDelayMicros,
            int maxQueueSize) {}

    /**
     * @param batchSizes told the rows of every batch run, for metrics
     * @throws IOException if the repository directory cannot be listed
     */
    public static ModelStore load(Path repository, Settings settings, IntConsumer batchSizes) throws IOException {
        if (!Files.exists(repository)) {
            throw new IOException(repository + ": model repository directory not found");
        }
        if (!Files.isDirectory(repository)) {
            throw new IOException(repository + ": not a directory; expected a model repository (NAME/VERSION/model.onnx)");
        }
        Map<String, ServedModel> models = new LinkedHashMap<>();
        for (ModelRepository.Entry entry : ModelRepository.entries(repository)) {
            models.put(entry.name(), open(entry, settings, batchSizes));
        }
        return new ModelStore(models);
    }

    private static ServedModel open(ModelRepository.Entry entry, Settings settings, IntConsumer batchSizes) {
        String name = entry.name();
        Path entryDir = entry.modelFile().getParent().getParent();
        String version = "version " + entry.version();
        ModelIntegrity.Result integrity = ModelIntegrity.check(entryDir, entry.modelFile());
        if (integrity.status() == ModelIntegrity.Status.REFUSED) {
            return refused(entry, version + ": " + integrity.reason(), version + ": " + integrity.reason());
        }
        if (integrity.status() == ModelIntegrity.Status.UNRECORDED) {
            LOG.warn("model '{}' {}: weights not verified: {}", name, version, integrity.reason());
        }
        Path configFile = entryDir.resolve(ModelConfigFile.FILE_NAME);
        Optional<ModelConfigProto.ModelConfig> config = Optional.empty();
        if (Files.exists(configFile)) {
            try {
                config = Optional.of(ModelConfigFile.read(configFile));
            } catch (ModelLoadException e) {
                return refused(entry, e.getMessage(), e.getMessage());
            }
        }
        OnnxModel model;
        try {
            model = OnnxModel.load(entry.modelFile(), settings.runtime());
        } catch (ModelLoadException e) {
            return refused(entry, version + ": " + ModelRepository.MODEL_FILE + " cannot be loaded (not a valid ONNX "
                    + "model, or one with operators, types or a device this server cannot run)", e.getMessage());
        }
        ModelSignature signature;
        try {
            signature = ModelSignature.resolve(name, config, model.inputs(), model.outputs(), settings.maxBatchSize());
        } catch (ModelLoadException e) {
            model.close();
            return refused(entry, e.getMessage(), e.getMessage());
        }
        if (signature.derived()) {
            LOG.warn("model '{}' has no {}: its interface is derived from the graph (max_batch_size {})", name,
                    ModelConfigFile.FILE_NAME, signature.maxBatchSize());
        }
        String parity = "none";
        Path bundleDir = ParityBundle.locate(entry.modelFile());
        if (Files.isDirectory(bundleDir)) {
            try {
                ParityBundle bundle = ParityBundle.read(bundleDir);
                ParityReport report = ParityCheck.report("bundle", bundleDir.toString(), model, bundle,
                        bundle.tolerance());
                if (!report.passed()) {
                    String failures = report.outputs().stream().filter(o -> !o.passed())
                            .map(o -> ReportWriter.describe(o, bundle.tolerance())).collect(Collectors.joining("; "));
                    model.close();
                    return refused(entry, version + ": parity check against its bundle failed: " + failures,
                            "parity check against " + bundleDir + " failed: " + failures);
                }
                parity = "passed";
            } catch (IOException | RuntimeException e) {
                model.close();
                return refused(entry, version + ": its parity bundle is unusable",
                        "parity bundle " + bundleDir + " unusable: " + e.getMessage());
            }
        }
        boolean batching = settings.batching() && signature.maxBatchSize() > 0;
        int batchRows = Math.min(settings.maxBatchSize(), signature.maxBatchSize());
        DynamicBatcher batcher = batching
                ? new DynamicBatcher(model, batchRows, settings.batchDelayMicros(), batchSizes)
                : null;
        int maxQueue = signature.maxQueueSize() > 0 ? signature.maxQueueSize() : settings.maxQueueSize();
        LOG.info("model '{}' version {} ready on {} (parity: {}, weights: {}, batching: {}, queue: {} requests)", name,
                entry.version(), model.executionProvider(), parity,
                integrity.status() == ModelIntegrity.Status.VERIFIED ? "verified" : "unverified",
                batching ? "up to " + batchRows + " rows, " + settings.batchDelayMicros() + " us" : "off", maxQueue);
        return ServedModel.ready(name, entry.version(), model, new RequestValidator(signature), batcher, parity,
                maxQueue);
    }

    /**
     * A model that will not serve: clients see {@code publicReason}, which names no path or
     * library; the log gets the full one.
     */
    private static ServedModel refused(ModelRepository.Entry entry, String publicReason, String logReason) {
        LOG.error("model '{}' refused: {}", entry.name(), logReason);
        return ServedModel.failed(entry.name(), entry.version(), entry.modelFile(), publicReason);
    }

    public Optional<ServedModel> get(String name) {
        return Optional.ofNullable(models.get(name));
    }

    public Collection<ServedModel> all() {
        return models.values();
    }

    /** Whether every model is ready (and there is at least one). */
    public boolean allReady() {
        return !models.isEmpty() && models.values().stream().allMatch(ServedModel::ready);
    }

    @Override
    public void close() {
        models.values().forEach(ServedModel::close);
    }
}
