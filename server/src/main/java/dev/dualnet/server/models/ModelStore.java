package dev.dualnet.server.models;

import dev.dualnet.runtime.ModelLoadException;
import dev.dualnet.runtime.ModelRepository;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.runtime.parity.OutputComparison;
import dev.dualnet.runtime.parity.ParityBundle;
import dev.dualnet.runtime.parity.ParityCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
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

    /** How models are opened and batched. */
    public record Settings(RuntimeOptions runtime, boolean batching, int maxBatchSize, long batchDelayMicros) {}

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
        OnnxModel model;
        try {
            model = OnnxModel.load(entry.modelFile(), settings.runtime());
        } catch (ModelLoadException e) {
            LOG.error("model '{}' refused: {}", entry.name(), e.getMessage());
            return ServedModel.failed(entry.name(), entry.version(), entry.modelFile(), e.getMessage());
        }
        String parity = "none";
        Path bundleDir = ParityBundle.locate(entry.modelFile());
        if (Files.isDirectory(bundleDir)) {
            try {
                List<OutputComparison> result = ParityCheck.run(model, ParityBundle.read(bundleDir));
                if (!ParityCheck.passed(result)) {
                    String failures = result.stream().filter(o -> !o.passed()).map(o -> o.name() + ": "
                            + o.outsideTolerance() + " of " + o.elements() + " elements outside tolerance, max abs error "
                            + o.maxAbsError()).collect(Collectors.joining("; "));
                    model.close();
                    String reason = "parity check against " + bundleDir + " failed: " + failures;
                    LOG.error("model '{}' refused: {}", entry.name(), reason);
                    return ServedModel.failed(entry.name(), entry.version(), entry.modelFile(), reason);
                }
                parity = "passed";
            } catch (IOException | RuntimeException e) {
                model.close();
                String reason = "parity bundle " + bundleDir + " unusable: " + e.getMessage();
                LOG.error("model '{}' refused: {}", entry.name(), reason);
                return ServedModel.failed(entry.name(), entry.version(), entry.modelFile(), reason);
            }
        }
        DynamicBatcher batcher = settings.batching()
                ? new DynamicBatcher(model, settings.maxBatchSize(), settings.batchDelayMicros(), batchSizes)
                : null;
        LOG.info("model '{}' version {} ready on {} (parity: {}, batching: {})", entry.name(), entry.version(),
                model.executionProvider(), parity, settings.batching() ? "up to " + settings.maxBatchSize() + " rows, "
                        + settings.batchDelayMicros() + " us" : "off");
        return ServedModel.ready(entry.name(), entry.version(), model, batcher, parity);
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
