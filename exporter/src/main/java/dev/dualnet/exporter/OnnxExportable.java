package dev.dualnet.exporter;

import java.util.List;

/**
 * A block that writes its own ONNX subgraph instead of having its forward pass traced, for blocks
 * whose traced form would be poor or impossible: a loop over the batch, an operation without an
 * ONNX mapping, or a computation ONNX has a better operator for.
 *
 * <p>The exporter still runs the block's own forward pass on the engine, so that the rest of the
 * network is traced with its real outputs, and then asks the block for the nodes that compute them.
 * It calls this method where it calls the block itself: for the exported block, and for the
 * children of every {@code SequentialBlock} it steps through. A block called from inside another
 * block's {@code forwardInternal} is traced with that block (the export then carries a warning); to
 * reach it, make that parent {@code OnnxExportable} too.
 *
 * <p>Parity checks compare the subgraph with the forward pass, so the two must compute the same.
 */
public interface OnnxExportable {
    /**
     * Adds the nodes that compute this block's inference forward pass.
     *
     * @param graph where nodes, this block's parameters and constants are added
     * @param inputs the block's inputs, in the order its forward pass receives them
     * @return the block's outputs, in the order its forward pass returns them
     */
    List<OnnxValue> exportOnnx(OnnxBlockGraph graph, List<OnnxValue> inputs);
}
