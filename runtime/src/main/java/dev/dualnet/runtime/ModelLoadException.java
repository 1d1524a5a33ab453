package dev.dualnet.runtime;

/** A model file that is missing, unreadable or not a model ONNX Runtime can load; names the path and the cause. */
public class ModelLoadException extends Exception {
    private static final long serialVersionUID = 1L;

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
