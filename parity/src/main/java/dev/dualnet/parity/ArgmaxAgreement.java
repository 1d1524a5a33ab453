package dev.dualnet.parity;

/**
 * How often the reference and the runtime pick the same class: the argmax over the last axis of a
 * float output, row by row. A check of its own, reported beside the tolerance verdict; it does not
 * decide whether parity passes, since two values within tolerance of each other may still swap
 * places in a near tie.
 *
 * @param rows rows compared (the product of every dimension but the last)
 * @param agreements rows whose argmax is the same in both
 */
public record ArgmaxAgreement(long rows, long agreements) {
    /** The share of rows that agree, 1 when there are none. */
    public double share() {
        return rows == 0 ? 1 : (double) agreements / rows;
    }

    /** Whether every row agrees. */
    public boolean complete() {
        return agreements == rows;
    }
}
