package dev.dualnet.exporter;

import ai.djl.ndarray.types.DataType;

/**
 * A value in the graph being exported, as a block that exports itself sees it.
 *
 * @param name the ONNX value name
 * @param dataType its element type
 */
public record OnnxValue(String name, DataType dataType) {}
