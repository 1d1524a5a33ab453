package dev.dualnet.exporter.repository;

import java.util.Locale;

/**
 * The {@code config.pbtxt} of a dualnet model in the Triton model-repository layout: ONNX Runtime
 * platform, batched inputs and outputs without the batch dimension, dynamic batching.
 */
public final class TritonConfig {
    private TritonConfig() {}

    /**
     * @param name model name, the repository directory name
     * @param maxBatchSize largest batch a server may form
     * @param maxQueueDelayMicros how long the dynamic batcher may wait to fill a batch
     */
    public static String dualnet(String name, int maxBatchSize, int maxQueueDelayMicros) {
        return String.format(Locale.ROOT, """
                name: "%s"
                platform: "onnxruntime_onnx"
                max_batch_size: %d
                input [
                  {
                    name: "image"
                    data_type: TYPE_FP32
                    dims: [ 1, 28, 28 ]
                  },
                  {
                    name: "number"
                    data_type: TYPE_INT64
                    dims: [ 1 ]
                    reshape: { shape: [ ] }
                  }
                ]
                output [
                  {
                    name: "digit"
                    data_type: TYPE_FP32
                    dims: [ 10 ]
                  },
                  {
                    name: "sum"
                    data_type: TYPE_FP32
                    dims: [ 19 ]
                  }
                ]
                version_policy: { latest: { num_versions: 1 } }
                dynamic_batching {
                  max_queue_delay_microseconds: %d
                }
                """, name, maxBatchSize, maxQueueDelayMicros);
    }
}
