package dev.dualnet.server.http;

/** A request the server refuses, with the HTTP status and a message saying what was wrong and what was expected. */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final int retryAfterSeconds;

    public ApiException(int status, String message) {
        this(status, message, 0);
    }

    /** @param retryAfterSeconds sent as {@code Retry-After} when positive */
    public ApiException(int status, String message, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    /** Seconds a client should wait before retrying; 0 when the refusal is not about load. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, message);
    }
}
