package dev.dualnet.trainer.data;

import java.nio.file.Path;
import java.util.Set;

/** Puts verified official MNIST files into a directory, which may already hold other files. */
@FunctionalInterface
public interface MnistFetcher {
    /**
     * Fetches the {@code wanted} files into {@code dir}, creating the directory if needed. Each
     * file appears there only complete and verified (a rename from a staging area inside
     * {@code dir}), files already in {@code dir} are left alone, and a failed fetch leaves no
     * staging files behind, nor {@code dir} itself when the fetch created it.
     *
     * @throws dev.dualnet.common.UserException when fetching or verification fails
     */
    void fetchInto(Path dir, Set<MnistFile> wanted);
}
