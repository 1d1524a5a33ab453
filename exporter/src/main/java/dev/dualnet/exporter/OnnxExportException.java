package dev.dualnet.exporter;

/**
 * An export that cannot be done as asked. The message names what was wrong, the block it happened
 * in and, where one is involved, the DJL method and the target opset.
 */
public final class OnnxExportException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why an export failed. */
    public enum Reason {
        /** The forward pass calls an {@code NDArray}, {@code NDArrayEx} or {@code NDManager} method with no ONNX mapping. */
        UNMAPPED_OPERATION,
        /** A size declared dynamic cannot stay dynamic in the graph. */
        NOT_DYNAMIC,
        /** The operation needs a newer opset than the one asked for. */
        OPSET_TOO_LOW,
        /** The operation is mapped, but not with these arguments. */
        UNSUPPORTED_ARGUMENTS,
        /** Java code read a value computed from the inputs, which a graph cannot hold. */
        VALUE_ESCAPES_TRACE,
        /** The block's forward pass failed, or did something the exporter cannot follow. */
        FORWARD_FAILED,
        /** The export's own settings are wrong: inputs, outputs, opset. */
        INVALID_REQUEST
    }

    private final Reason reason;
    private final String blockPath;
    private final String method;
    private final int opset;

    public OnnxExportException(Reason reason, String message, String blockPath, String method, int opset,
            Throwable cause) {
        super(message(reason, message, blockPath, method, opset), cause);
        this.reason = reason;
        this.blockPath = blockPath;
        this.method = method;
        this.opset = opset;
    }

    /** A mistake in the export's own settings, not tied to a block. */
    public static OnnxExportException invalidRequest(String message) {
        return new OnnxExportException(Reason.INVALID_REQUEST, message, null, null, 0, null);
    }

    private static String message(Reason reason, String message, String blockPath, String method, int opset) {
        StringBuilder text = new StringBuilder(message);
        if (blockPath != null || method != null || opset > 0) {
            text.append(" [");
            String separator = "";
            if (blockPath != null) {
                text.append("block ").append(blockPath.isEmpty() ? "(root)" : "'" + blockPath + "'");
                separator = ", ";
            }
            if (method != null) {
                text.append(separator).append("method ").append(method);
                separator = ", ";
            }
            if (opset > 0) {
                text.append(separator).append("opset ").append(opset);
            }
            text.append(']');
        }
        return text.toString();
    }

    public Reason reason() {
        return reason;
    }

    /** The block path the failure happened in, as DJL names parameters ({@code 02SequentialBlock_01Conv2d}); null if none. */
    public String blockPath() {
        return blockPath;
    }

    /** The DJL method involved, such as {@code NDArray.erfinv()}; null if none. */
    public String method() {
        return method;
    }

    /** The target opset; 0 if none was involved. */
    public int opset() {
        return opset;
    }
}
