package dev.dualnet.server.grpc;

import dev.dualnet.runtime.config.ModelSignature;
import dev.dualnet.runtime.config.TensorSignature;
import dev.dualnet.runtime.config.proto.ModelConfigProto.DataType;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelConfig;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelInput;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelOutput;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelTensorReshape;
import dev.dualnet.server.models.ServedModel;

/**
 * The ModelConfig RPC's answer: the interface the server enforces for a model (its config.pbtxt
 * resolved against the graph, or derived from the graph), in Triton's ModelConfig form. The server
 * keeps no parsed config.pbtxt per model, so fields the server does not enforce (instance groups,
 * optimization, ...) are not reported; once {@link ServedModel} exposes the parsed config, this
 * is the one place to return it instead.
 */
final class ModelConfigs {
    private static final String PLATFORM = "onnxruntime_onnx";
    private static final String BACKEND = "onnxruntime";

    private ModelConfigs() {}

    /** @param model a ready model */
    static ModelConfig of(ServedModel model) {
        ModelSignature signature = model.signature();
        ModelConfig.Builder config = ModelConfig.newBuilder()
                .setName(model.name())
                .setPlatform(PLATFORM)
                .setBackend(BACKEND)
                .setMaxBatchSize(signature.maxBatchSize());
        for (TensorSignature input : signature.inputs()) {
            ModelInput.Builder in = config.addInputBuilder()
                    .setName(input.name())
                    .setDataType(dataType(input))
                    .addAllDims(boxed(input.dims()));
            if (input.reshape() != null) {
                in.setReshape(ModelTensorReshape.newBuilder().addAllShape(boxed(input.reshape())));
            }
        }
        for (TensorSignature output : signature.outputs()) {
            ModelOutput.Builder out = config.addOutputBuilder()
                    .setName(output.name())
                    .setDataType(dataType(output))
                    .addAllDims(boxed(output.dims()));
            if (output.reshape() != null) {
                out.setReshape(ModelTensorReshape.newBuilder().addAllShape(boxed(output.reshape())));
            }
        }
        if (signature.maxQueueSize() > 0) {
            config.getDynamicBatchingBuilder().getDefaultQueuePolicyBuilder().setMaxQueueSize(signature.maxQueueSize());
        }
        return config.build();
    }

    /** Triton's enum names are the protocol names with a TYPE_ prefix. */
    private static DataType dataType(TensorSignature tensor) {
        return DataType.valueOf("TYPE_" + tensor.type().protocolName());
    }

    private static java.util.List<Long> boxed(long[] values) {
        return java.util.Arrays.stream(values).boxed().toList();
    }
}
