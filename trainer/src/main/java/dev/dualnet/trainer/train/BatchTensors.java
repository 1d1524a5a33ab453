package dev.dualnet.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dualnet.trainer.data.DualSamples.Batch;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/**
 * The tensors of one batch, created in a caller-owned manager that frees them.
 *
 * @param inputs image float32 [N,1,28,28] and number int64 [N]
 * @param digits int64 [N]
 * @param sums int64 [N]
 */
record BatchTensors(NDList inputs, NDArray digits, NDArray sums) {
    static BatchTensors of(Batch batch, NDManager manager) {
        int n = batch.size();
        NDArray image = manager.create(
                FloatBuffer.wrap(batch.pixels(), 0, n * batch.pixelsPerImage()),
                new Shape(n, 1, 28, 28));
        NDArray number = manager.create(LongBuffer.wrap(batch.numbers(), 0, n), new Shape(n));
        NDArray digits = manager.create(LongBuffer.wrap(batch.digits(), 0, n), new Shape(n));
        NDArray sums = manager.create(LongBuffer.wrap(batch.sums(), 0, n), new Shape(n));
        return new BatchTensors(new NDList(image, number), digits, sums);
    }
}
