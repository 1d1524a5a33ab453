package dev.dualnet.packager;

import java.util.Map;

/**
 * The model card of an entry exported from a DJL model directory: where it came from, what it
 * takes and gives, and what produced it. The server checks {@code onnx.sha256} (and
 * {@code onnx.externalData}) before it serves the entry.
 *
 * @param name model name
 * @param version repository version directory
 * @param source the DJL model directory, as given
 * @param blockFactory the class that built the blocks
 * @param parameters the parameters file and its SHA-256
 * @param inputs input names to {@code dtype [dims]}
 * @param outputs output names to {@code dtype [dims]}
 * @param onnx file, opset, IR version, SHA-256, and external data files with theirs
 * @param djl DJL's version, the engine and its version
 * @param parity the bundle's sample count and tolerance, and how its inputs were made
 * @param command the dualnet command that produced the entry
 */
public record EntryCard(
        String name,
        long version,
        String source,
        String blockFactory,
        Map<String, String> parameters,
        Map<String, String> inputs,
        Map<String, String> outputs,
        Map<String, Object> onnx,
        Map<String, String> djl,
        Map<String, Object> parity,
        String command) {}
