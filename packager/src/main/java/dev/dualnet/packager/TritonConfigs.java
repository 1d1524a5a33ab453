package dev.dualnet.packager;

import dev.dualnet.runtime.ElementType;
import java.util.List;

/**
 * A generic {@code config.pbtxt} for an exported model, in Triton's {@code ModelConfig} text
 * format: names, data types and dimensions from the graph. When every input and output leads with
 * the same dynamic batch dimension the model is batched ({@code max_batch_size} above 0, dims
 * without the batch, dynamic batching on); otherwise {@code max_batch_size: 0} and full dims. A
 * dynamic dimension other than the batch is {@code -1}.
 */
public final class TritonConfigs {
    private TritonConfigs() {}

    /**
     * @param maxBatchSize the largest batch a server may form, for a batched model
     */
    public static String of(String name, GraphSignature signature, int maxBatchSize) {
        boolean batched = signature.batchDimension() != null && maxBatchSize > 0;
        StringBuilder config = new StringBuilder();
        config.append("name: \"").append(name).append("\"\n");
        config.append("platform: \"onnxruntime_onnx\"\n");
        config.append("max_batch_size: ").append(batched ? maxBatchSize : 0).append('\n');
        tensors(config, "input", signature.inputs(), batched);
        tensors(config, "output", signature.outputs(), batched);
        config.append("version_policy: { latest: { num_versions: 1 } }\n");
        if (batched) {
            config.append("dynamic_batching {\n  max_queue_delay_microseconds: 100\n}\n");
        }
        return config.toString();
    }

    private static void tensors(StringBuilder config, String field, List<GraphSignature.Port> ports, boolean batched) {
        config.append(field).append(" [\n");
        for (int i = 0; i < ports.size(); i++) {
            GraphSignature.Port port = ports.get(i);
            List<String> dims = batched ? port.dims().subList(1, port.dims().size()) : port.dims();
            config.append("  {\n");
            config.append("    name: \"").append(port.name()).append("\"\n");
            config.append("    data_type: ").append(tritonType(port.type())).append('\n');
            if (dims.isEmpty()) {
                // Triton wants at least one dimension: a batch of scalars is [1] reshaped to [].
                config.append("    dims: [ 1 ]\n    reshape: { shape: [ ] }\n");
            } else {
                config.append("    dims: [ ").append(String.join(", ",
                        dims.stream().map(d -> d.matches("\\d+") ? d : "-1").toList())).append(" ]\n");
            }
            config.append(i + 1 < ports.size() ? "  },\n" : "  }\n");
        }
        config.append("]\n");
    }

    /** Triton's {@code DataType} name of an element type: the protocol's name after {@code TYPE_}. */
    public static String tritonType(ElementType type) {
        return "TYPE_" + type.protocolName();
    }
}
