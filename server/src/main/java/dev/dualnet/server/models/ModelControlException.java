package dev.dualnet.server.models;

/**
 * A repository request that cannot be carried out: model control is off, there is no such model
 * in the repository, or it did not load (the serving versions then stay).
 */
public final class ModelControlException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why a load or unload was refused. */
    public enum Reason {
        /** --model-control none: the repository is fixed at startup. HTTP 403, gRPC FAILED_PRECONDITION. */
        DISABLED,
        /** No such model directory. HTTP 404, gRPC NOT_FOUND. */
        UNKNOWN,
        /** The model did not load. HTTP 400, gRPC INVALID_ARGUMENT. */
        FAILED
    }

    private final Reason reason;

    public ModelControlException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
