package dev.dualnet.exporter.ops;

/** Indexing: get with slices, fixed indices, new axes, ellipses, boolean masks, picks and takes; gather and take. */
final class IndexingOps {
    private IndexingOps() {}

    static void register(OpTable table) {
    }
}
