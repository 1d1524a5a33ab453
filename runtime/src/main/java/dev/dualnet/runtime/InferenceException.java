package dev.dualnet.runtime;

/** ONNX Runtime failed while running a model on input that passed validation. */
public class InferenceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
