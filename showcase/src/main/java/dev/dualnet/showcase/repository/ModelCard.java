package dev.dualnet.showcase.repository;

import dev.dualnet.trainer.train.EpochMetrics;
import dev.dualnet.trainer.train.TrainingConfig;
import java.util.List;
import java.util.Map;

/**
 * What a person or a serving stack should know about an exported model: where it came from, how
 * well it did, and what it takes and gives.
 *
 * @param name model name in the repository
 * @param version repository version directory
 * @param preset network design
 * @param parameters trainable parameter count
 * @param finalMetrics test metrics after the last epoch
 * @param history test metrics per epoch
 * @param training the run's configuration
 * @param configSha256 SHA-256 of the configuration JSON
 * @param dataChecksums SHA-256 of each data file the run trained and tested on
 * @param checkpoint the checkpoint exported
 * @param command the dualnet command that produced the model (its seed is in {@code training})
 * @param onnx file name, opset, IR version, SHA-256 of the ONNX file, and the graph rewrites applied
 * @param inputs input names to descriptions
 * @param outputs output names to descriptions
 */
public record ModelCard(
        String name,
        int version,
        String preset,
        long parameters,
        EpochMetrics finalMetrics,
        List<EpochMetrics> history,
        TrainingConfig training,
        String configSha256,
        Map<String, String> dataChecksums,
        String checkpoint,
        String command,
        Map<String, Object> onnx,
        Map<String, String> inputs,
        Map<String, String> outputs) {}
