package dev.dualnet.server.models;

/** No such model, or no such version of it. HTTP answers 404, gRPC NOT_FOUND. */
public final class UnknownModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message which name or version was asked for, and what there is */
    public UnknownModelException(String message) {
        super(message);
    }
}
