package dev.dualnet.runtime;

/**
 * Told how long the parts of one {@link OnnxModel#run(java.util.List, java.util.Set, RunPhases)}
 * took, in the terms of Triton's statistics: preparing the inputs, the runtime call, and reading
 * the outputs back.
 */
@FunctionalInterface
public interface RunPhases {
    /** Records nothing. */
    RunPhases NONE = (inputNanos, inferNanos, outputNanos) -> { };

    void record(long inputNanos, long inferNanos, long outputNanos);
}
