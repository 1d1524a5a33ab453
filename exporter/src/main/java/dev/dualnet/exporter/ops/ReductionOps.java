package dev.dualnet.exporter.ops;

/** Reductions (sum, mean, max, min, prod, with and without keepDims), arg max and min, top-k, sort, cumulative sums and norms. */
final class ReductionOps {
    private ReductionOps() {}

    static void register(OpTable table) {
    }
}
