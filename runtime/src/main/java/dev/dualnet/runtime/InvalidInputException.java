package dev.dualnet.runtime;

/**
 * Input that would be wrong to run: a shape, type, value or name that does not fit the model.
 * Raised before anything reaches the native side; the message says what was wrong and what was
 * expected.
 */
public class InvalidInputException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) {
        super(message);
    }
}
