package dev.dualnet.showcase.repository;

import static dev.dualnet.common.DualNetInterface.DIGIT;
import static dev.dualnet.common.DualNetInterface.DIGITS;
import static dev.dualnet.common.DualNetInterface.IMAGE;
import static dev.dualnet.common.DualNetInterface.NUMBER;
import static dev.dualnet.common.DualNetInterface.SIDE;
import static dev.dualnet.common.DualNetInterface.SUM;
import static dev.dualnet.common.DualNetInterface.SUMS;

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
                    name: "%s"
                    data_type: TYPE_FP32
                    dims: [ 1, %d, %d ]
                  },
                  {
                    name: "%s"
                    data_type: TYPE_INT64
                    dims: [ 1 ]
                    reshape: { shape: [ ] }
                  }
                ]
                output [
                  {
                    name: "%s"
                    data_type: TYPE_FP32
                    dims: [ %d ]
                  },
                  {
                    name: "%s"
                    data_type: TYPE_FP32
                    dims: [ %d ]
                  }
                ]
                version_policy: { latest: { num_versions: 1 } }
                dynamic_batching {
                  max_queue_delay_microseconds: %d
                }
                """, name, maxBatchSize, IMAGE, SIDE, SIDE, NUMBER, DIGIT, DIGITS, SUM, SUMS, maxQueueDelayMicros);
    }
}
