package dev.dualnet.runtime;

/**
 * Input that would be wrong to run: a shape, type, value or name that does not fit the model.
 * Raised before anything reaches the native side, or when ONNX Runtime rejects the values as
 * invalid arguments; the message says what was wrong and what was expected, and names no file.
 */
public class InvalidInputException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) {
        super(message);
    }
}
