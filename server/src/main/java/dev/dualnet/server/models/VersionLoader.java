package dev.dualnet.server.models;

import dev.dualnet.parity.ParityBundle;
import dev.dualnet.parity.ParityCheck;
import dev.dualnet.parity.ParityReport;
import dev.dualnet.parity.ReportWriter;
import dev.dualnet.runtime.ModelLoadException;
import dev.dualnet.runtime.ModelRepository;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.runtime.config.ModelConfigFile;
import dev.dualnet.runtime.config.ModelSignature;
import dev.dualnet.runtime.config.TensorSignature;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelConfig;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelInstanceGroup;
import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads one version of a repository entry the way it will serve: checks its weights against the
 * model card, opens a session per instance, resolves its config against the graph, runs its parity
 * bundle, and warms every instance with one request, so the first client request meets a ready
 * model.
 */
final class VersionLoader {
    private static final Logger LOG = LoggerFactory.getLogger(VersionLoader.class);

    /** Why a version did not load: {@code publicReason} for clients (no paths), {@code logReason} for the log. */
    static final class LoadFailure extends Exception {
        private static final long serialVersionUID = 1L;

        private final String publicReason;

        LoadFailure(String publicReason, String logReason) {
            super(logReason);
            this.publicReason = publicReason;
        }

        String publicReason() {
            return publicReason;
        }
    }

    private final ModelStore.Settings settings;
    private final IntConsumer batchSizes;
    private final Executor closer;

    VersionLoader(ModelStore.Settings settings, IntConsumer batchSizes, Executor closer) {
        this.settings = settings;
        this.batchSizes = batchSizes;
        this.closer = closer;
    }

    /** The entry's parsed config.pbtxt; empty when it has none. */
    static Optional<ModelConfig> readConfig(Path entryDir) throws LoadFailure {
        Path configFile = entryDir.resolve(ModelConfigFile.FILE_NAME);
        if (!Files.exists(configFile)) {
            return Optional.empty();
        }
        try {
            return Optional.of(ModelConfigFile.read(configFile));
        } catch (ModelLoadException e) {
            throw new LoadFailure(e.getMessage(), e.getMessage());
        }
    }

    ServedVersion load(String name, Path entryDir, long version, Optional<ModelConfig> config) throws LoadFailure {
        String label = "version " + version;
        Path file = entryDir.resolve(Long.toString(version)).resolve(ModelRepository.MODEL_FILE);
        VersionFingerprint fingerprint = VersionFingerprint.of(entryDir, version);
        ModelIntegrity.Result integrity = ModelIntegrity.check(entryDir, file);
        if (integrity.status() == ModelIntegrity.Status.REFUSED) {
            throw new LoadFailure(label + ": " + integrity.reason(), label + ": " + integrity.reason());
        }
        if (integrity.status() == ModelIntegrity.Status.UNRECORDED) {
            LOG.warn("model '{}' {}: weights not verified: {}", name, label, integrity.reason());
        }
        List<OnnxModel> instances = openInstances(name, label, file, config);
        try {
            ModelSignature signature;
            try {
                signature = ModelSignature.resolve(name, config, instances.get(0).inputs(), instances.get(0).outputs(),
                        settings.maxBatchSize());
            } catch (ModelLoadException e) {
                throw new LoadFailure(label + ": " + e.getMessage(), label + ": " + e.getMessage());
            }
            if (signature.derived()) {
                LOG.warn("model '{}' has no {}: its interface is derived from the graph (max_batch_size {})", name,
                        ModelConfigFile.FILE_NAME, signature.maxBatchSize());
            }
            RequestValidator validator = new RequestValidator(signature);
            String parity = checkParity(label, file, instances.get(0));
            for (OnnxModel instance : instances) {
                warm(label, instance, validator);
            }
            ModelConfig declared = config.orElse(ModelConfig.getDefaultInstance());
            boolean batching = settings.batching() && signature.maxBatchSize() > 0;
            int batchRows = Math.min(settings.maxBatchSize(), signature.maxBatchSize());
            DynamicBatcher.Policy policy = batching
                    ? ConfigFields.batchPolicy(declared, batchRows, settings.batchDelayMicros()) : null;
            int maxQueue = signature.maxQueueSize() > 0 ? signature.maxQueueSize() : settings.maxQueueSize();
            InferenceStatistics statistics = new InferenceStatistics();
            DynamicBatcher batcher = batching ? new DynamicBatcher(name, instances, policy, statistics, batchSizes) : null;
            ModelConfig effective = ConfigFields.effective(declared, signature, instances.get(0).executionProvider(),
                    instances.size(), policy, maxQueue);
            boolean verified = integrity.status() == ModelIntegrity.Status.VERIFIED;
            LOG.info("model '{}' version {} ready on {} (instances: {}, parity: {}, weights: {}, batching: {}, queue: {}"
                    + " requests)", name, version, instances.get(0).executionProvider(), instances.size(), parity,
                    verified ? "verified" : "unverified",
                    batching ? "up to " + batchRows + " rows, " + policy.maxDelayMicros() + " us"
                            + (policy.preferredSizes().isEmpty() ? "" : ", preferred " + policy.preferredSizes())
                            + (policy.queueTimeoutMicros() > 0 ? ", timeout " + policy.queueTimeoutMicros() + " us" : "")
                            : "off", maxQueue);
            return new ServedVersion(new ServedVersion.Facts(name, version, file, parity, verified, effective,
                    fingerprint), instances, validator, batcher, maxQueue, statistics, closer);
        } catch (LoadFailure | RuntimeException e) {
            instances.forEach(OnnxModel::close);
            throw e;
        }
    }

    /** One session per instance of every instance group; one on the server's device without groups. */
    private List<OnnxModel> openInstances(String name, String label, Path file, Optional<ModelConfig> config)
            throws LoadFailure {
        List<RuntimeOptions> placements = new ArrayList<>();
        List<ModelInstanceGroup> groups = config.map(ModelConfig::getInstanceGroupList).orElse(List.of());
        for (ModelInstanceGroup group : groups) {
            int count = Math.max(1, group.getCount());
            List<RuntimeOptions> devices = new ArrayList<>();
            if (group.getKind() == ModelInstanceGroup.Kind.KIND_GPU) {
                List<Integer> gpus = group.getGpusCount() > 0 ? group.getGpusList() : List.of(settings.runtime().deviceId());
                for (int gpu : gpus) {
                    devices.add(new RuntimeOptions(RuntimeOptions.Device.CUDA, gpu, settings.runtime().intraOpThreads(),
                            settings.runtime().optimization()));
                }
            } else if (group.getKind() == ModelInstanceGroup.Kind.KIND_CPU) {
                devices.add(settings.runtime().withDevice(RuntimeOptions.Device.CPU));
            } else {
                devices.add(settings.runtime());
            }
            for (RuntimeOptions device : devices) {
                for (int i = 0; i < count; i++) {
                    placements.add(device);
                }
            }
        }
        if (placements.isEmpty()) {
            placements.add(settings.runtime());
        }
        List<OnnxModel> instances = new ArrayList<>();
        for (RuntimeOptions placement : placements) {
            try {
                instances.add(OnnxModel.load(file, placement));
            } catch (ModelLoadException e) {
                instances.forEach(OnnxModel::close);
                boolean cuda = placement.device() == RuntimeOptions.Device.CUDA;
                throw new LoadFailure(label + ": " + ModelRepository.MODEL_FILE + " cannot be loaded "
                        + (cuda ? "on GPU " + placement.deviceId() + " as its instance_group asks (no usable CUDA device"
                                + " or build)" : "(not a valid ONNX model, or one with operators, types or a device"
                                + " this server cannot run)"), label + ": " + e.getMessage());
            }
        }
        if (instances.size() > 1) {
            LOG.info("model '{}' {}: {} instances", name, label, instances.size());
        }
        return instances;
    }

    private static String checkParity(String label, Path file, OnnxModel model) throws LoadFailure {
        Path bundleDir = ParityBundle.locate(file);
        if (!Files.isDirectory(bundleDir)) {
            return "none";
        }
        ParityBundle bundle;
        ParityReport report;
        try {
            bundle = ParityBundle.read(bundleDir);
            report = ParityCheck.report("bundle", bundleDir.toString(), model, bundle, bundle.tolerance());
        } catch (IOException | RuntimeException e) {
            throw new LoadFailure(label + ": its parity bundle is unusable",
                    "parity bundle " + bundleDir + " unusable: " + e.getMessage());
        }
        if (!report.passed()) {
            String failures = report.outputs().stream().filter(o -> !o.passed())
                    .map(o -> ReportWriter.describe(o, bundle.tolerance())).collect(Collectors.joining("; "));
            throw new LoadFailure(label + ": parity check against its bundle failed: " + failures,
                    "parity check against " + bundleDir + " failed: " + failures);
        }
        return "passed";
    }

    /** One request of zeros (a batch of one, dynamic sizes 1) through the instance, as a client would send. */
    private static void warm(String label, OnnxModel instance, RequestValidator validator) throws LoadFailure {
        ModelSignature signature = validator.signature();
        List<NamedTensor> feeds = new ArrayList<>();
        for (TensorSignature input : signature.inputs()) {
            long[] dims = input.dims();
            long[] shape = new long[dims.length + (signature.maxBatchSize() > 0 ? 1 : 0)];
            int at = 0;
            if (signature.maxBatchSize() > 0) {
                shape[at++] = 1;
            }
            for (long dim : dims) {
                shape[at++] = dim < 0 ? 1 : dim;
            }
            int count = Math.toIntExact(NamedTensor.elementCount(shape));
            feeds.add(new NamedTensor(input.name(), input.type(), shape,
                    Array.newInstance(input.type().arrayType().getComponentType(), count)));
        }
        try {
            RequestValidator.Checked request = validator.check(feeds, Set.of());
            instance.run(request.feeds(), request.outputs());
        } catch (RuntimeException e) {
            throw new LoadFailure(label + ": a warm-up request of zeros failed: " + e.getMessage(),
                    "warm-up of " + instance.path() + " failed: " + e);
        }
    }
}
