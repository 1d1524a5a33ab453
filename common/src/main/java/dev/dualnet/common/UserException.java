package dev.dualnet.common;

/**
 * A problem the user can fix: bad input files, a missing tool, an unusable option.
 *
 * <p>The CLI prints its message as one line and exits non-zero, without a stack trace, so the
 * message must say what was wrong and what was expected.
 */
public class UserException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UserException(String message) {
        super(message);
    }

    public UserException(String message, Throwable cause) {
        super(message, cause);
    }
}
