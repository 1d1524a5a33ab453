package dev.dualnet.server.models;

/**
 * The model cannot take the request now: it is not ready, its queue is full, the request waited
 * past its queue timeout, or the version stopped serving. HTTP answers 503, gRPC UNAVAILABLE.
 */
public final class ModelUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean retryLater;

    /**
     * @param message what happened, fit for clients: no paths, no library names
     * @param retryLater whether the same request may succeed shortly (a full queue), so clients are told when to retry
     */
    public ModelUnavailableException(String message, boolean retryLater) {
        super(message);
        this.retryLater = retryLater;
    }

    public boolean retryLater() {
        return retryLater;
    }
}
