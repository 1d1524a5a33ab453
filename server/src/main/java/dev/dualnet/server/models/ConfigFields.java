package dev.dualnet.server.models;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.dualnet.runtime.ExecutionProvider;
import dev.dualnet.runtime.config.ModelSignature;
import dev.dualnet.runtime.config.TensorSignature;
import dev.dualnet.runtime.config.proto.ModelConfigProto.DataType;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelConfig;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelDynamicBatching;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelInput;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelInstanceGroup;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelOutput;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelQueuePolicy;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelTensorReshape;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelVersionPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parts of a {@code config.pbtxt} this server acts on: which fields it honours (the rest are
 * named in a warning, never ignored in silence), which versions to serve, and the effective
 * configuration it reports, with what the file leaves out filled in from the graph and the
 * server's settings.
 */
final class ConfigFields {
    /** Field paths the server honours; a message path listed here is honoured as far as its own fields are. */
    private static final Set<String> HONOURED = Set.of(
            "name", "platform", "backend", "max_batch_size",
            "input", "input.name", "input.data_type", "input.dims", "input.reshape", "input.reshape.shape",
            "output", "output.name", "output.data_type", "output.dims", "output.reshape", "output.reshape.shape",
            "version_policy", "version_policy.latest", "version_policy.latest.num_versions", "version_policy.all",
            "version_policy.specific", "version_policy.specific.versions",
            "instance_group", "instance_group.name", "instance_group.kind", "instance_group.count",
            "instance_group.gpus",
            "dynamic_batching", "dynamic_batching.preferred_batch_size",
            "dynamic_batching.max_queue_delay_microseconds", "dynamic_batching.default_queue_policy",
            "dynamic_batching.default_queue_policy.timeout_action",
            "dynamic_batching.default_queue_policy.default_timeout_microseconds",
            "dynamic_batching.default_queue_policy.max_queue_size");

    private ConfigFields() {}

    /** The set fields of {@code config} that the server does not honour, as dotted paths, outermost only. */
    static List<String> unhonoured(ModelConfig config) {
        List<String> found = new ArrayList<>();
        collect(config, "", found);
        if (config.getDynamicBatching().getDefaultQueuePolicy().getTimeoutAction() == ModelQueuePolicy.TimeoutAction.DELAY) {
            found.add("dynamic_batching.default_queue_policy.timeout_action DELAY (requests that time out are kept,"
                    + " as without a timeout)");
        }
        return found;
    }

    private static void collect(Message message, String prefix, List<String> found) {
        for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
            String path = prefix + field.getKey().getName();
            if (!HONOURED.contains(path)) {
                found.add(path);
                continue;
            }
            if (field.getKey().getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
                continue;
            }
            if (field.getKey().isRepeated()) {
                for (Object element : (List<?>) field.getValue()) {
                    collect((Message) element, path + ".", found);
                }
            } else {
                collect((Message) field.getValue(), path + ".", found);
            }
        }
        List<String> distinct = found.stream().distinct().toList();
        found.clear();
        found.addAll(distinct);
    }

    /**
     * The versions to serve among those on disk, by the config's version_policy: the highest one by
     * default, the highest N, all, or those listed.
     *
     * @param onDisk the versions that hold a model file, ascending
     */
    static List<Long> versionsToServe(ModelConfig config, List<Long> onDisk) {
        ModelVersionPolicy policy = config.getVersionPolicy();
        return switch (policy.getPolicyChoiceCase()) {
            case ALL -> onDisk;
            case SPECIFIC -> onDisk.stream().filter(policy.getSpecific().getVersionsList()::contains).toList();
            case LATEST -> latest(onDisk, Math.max(1, policy.getLatest().getNumVersions()));
            case POLICYCHOICE_NOT_SET -> latest(onDisk, 1);
        };
    }

    private static List<Long> latest(List<Long> onDisk, long count) {
        return onDisk.subList((int) Math.max(0, onDisk.size() - count), onDisk.size());
    }

    /**
     * The batching policy of a batched model: the config's preferred sizes, delay (the server's when
     * the config sets none) and queue timeout (none for timeout_action DELAY).
     */
    static DynamicBatcher.Policy batchPolicy(ModelConfig config, int maxBatchRows, long serverDelayMicros) {
        ModelDynamicBatching batching = config.getDynamicBatching();
        ModelQueuePolicy queue = batching.getDefaultQueuePolicy();
        long delay = batching.getMaxQueueDelayMicroseconds() > 0 ? batching.getMaxQueueDelayMicroseconds()
                : serverDelayMicros;
        long timeout = queue.getTimeoutAction() == ModelQueuePolicy.TimeoutAction.REJECT
                ? queue.getDefaultTimeoutMicroseconds() : 0;
        return new DynamicBatcher.Policy(maxBatchRows, delay, batching.getPreferredBatchSizeList(), Math.max(0, timeout));
    }

    /**
     * The configuration as served: the file's fields, with the name, platform, batch size, inputs,
     * outputs, version policy, instance groups and batching it leaves out filled in.
     */
    static ModelConfig effective(ModelConfig declared, ModelSignature signature, ExecutionProvider provider,
            int instances, DynamicBatcher.Policy batching, int maxQueueSize) {
        ModelConfig.Builder config = declared.toBuilder().setName(signature.name()).setMaxBatchSize(signature.maxBatchSize());
        if (config.getPlatform().isEmpty() && config.getBackend().isEmpty()) {
            config.setPlatform("onnxruntime_onnx");
        }
        if (config.getInputCount() == 0) {
            for (TensorSignature input : signature.inputs()) {
                ModelInput.Builder declaredInput = ModelInput.newBuilder().setName(input.name())
                        .setDataType(dataType(input)).addAllDims(list(input.dims()));
                if (input.reshape() != null) {
                    declaredInput.setReshape(ModelTensorReshape.newBuilder().addAllShape(list(input.reshape())));
                }
                config.addInput(declaredInput);
            }
        }
        if (config.getOutputCount() == 0) {
            for (TensorSignature output : signature.outputs()) {
                ModelOutput.Builder declaredOutput = ModelOutput.newBuilder().setName(output.name())
                        .setDataType(dataType(output)).addAllDims(list(output.dims()));
                if (output.reshape() != null) {
                    declaredOutput.setReshape(ModelTensorReshape.newBuilder().addAllShape(list(output.reshape())));
                }
                config.addOutput(declaredOutput);
            }
        }
        if (!config.hasVersionPolicy()) {
            config.setVersionPolicy(ModelVersionPolicy.newBuilder()
                    .setLatest(ModelVersionPolicy.Latest.newBuilder().setNumVersions(1)));
        }
        if (config.getInstanceGroupCount() == 0) {
            config.addInstanceGroup(ModelInstanceGroup.newBuilder().setName(signature.name()).setCount(instances)
                    .setKind(provider == ExecutionProvider.CUDA ? ModelInstanceGroup.Kind.KIND_GPU
                            : ModelInstanceGroup.Kind.KIND_CPU));
        }
        if (batching != null) {
            ModelDynamicBatching.Builder dynamic = config.getDynamicBatching().toBuilder()
                    .setMaxQueueDelayMicroseconds(batching.maxDelayMicros());
            if (maxQueueSize > 0) {
                dynamic.setDefaultQueuePolicy(dynamic.getDefaultQueuePolicy().toBuilder().setMaxQueueSize(maxQueueSize));
            }
            config.setDynamicBatching(dynamic);
        }
        return config.build();
    }

    private static DataType dataType(TensorSignature tensor) {
        return DataType.valueOf("TYPE_" + tensor.type().protocolName());
    }

    private static List<Long> list(long[] values) {
        List<Long> list = new ArrayList<>(values.length);
        for (long value : values) {
            list.add(value);
        }
        return list;
    }
}
