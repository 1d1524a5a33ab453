package dev.dualnet.common.cli;

import dev.dualnet.common.UserException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks, before any work starts, that a command will be able to create its output directory: a
 * typo in {@code --out} should not surface only after minutes of training.
 */
public final class OutputDirectory {
    private OutputDirectory() {}

    /**
     * Passes when {@code dir} is a directory, or could be created as one: its nearest existing
     * ancestor is a writable directory. Creates nothing.
     *
     * @param option the option that named the directory, for the message
     * @throws UserException naming the option, the path and what is in the way
     */
    public static void requireCreatable(Path dir, String option) {
        Path absolute = dir.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new UserException(option + " " + dir + ": no part of the path exists");
        }
        if (!Files.isDirectory(existing)) {
            throw new UserException(option + " " + dir + ": " + (existing.equals(absolute) ? "" : existing + " ")
                    + "is a file, expected a directory");
        }
        if (!Files.isWritable(existing)) {
            throw new UserException(option + " " + dir + ": " + existing + " is not writable");
        }
    }
}
