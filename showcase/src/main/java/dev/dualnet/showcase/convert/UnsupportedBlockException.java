package dev.dualnet.showcase.convert;

import dev.dualnet.common.UserException;

/** A block in the tree has no ONNX converter, or is configured in a way the converter cannot express. */
public final class UnsupportedBlockException extends UserException {
    private static final long serialVersionUID = 1L;

    public UnsupportedBlockException(String path, String problem) {
        super("cannot export block at '" + (path.isEmpty() ? "(root)" : path) + "': " + problem);
    }
}
