package dev.dualnet.runtime;

/** The execution provider a session runs on. */
public enum ExecutionProvider {
    CUDA,
    CPU
}
