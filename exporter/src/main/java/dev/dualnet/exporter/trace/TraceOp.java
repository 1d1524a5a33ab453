package dev.dualnet.exporter.trace;

import dev.dualnet.exporter.ops.OpSpec;
import java.util.List;

/**
 * One recorded operation: the method called, its arguments as recorded ({@link Args}), the values
 * it produced and the block it ran in.
 *
 * @param index position in the trace
 * @param spec the method and its ONNX mapping
 * @param args the arguments: {@link Args.Tensor} and {@link Args.Tensors} for arrays, other values as given
 * @param outputs ids of the values it produced
 * @param blockPath the block it ran in
 * @param constantInputs whether every array it read depends on no graph input
 */
public record TraceOp(int index, OpSpec spec, List<Object> args, int[] outputs, String blockPath,
        boolean constantInputs) {}
