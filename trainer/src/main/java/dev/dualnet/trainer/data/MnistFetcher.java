package dev.dualnet.trainer.data;

import java.nio.file.Path;

/** Puts the four verified official MNIST files into a directory that does not exist yet. */
@FunctionalInterface
public interface MnistFetcher {
    /**
     * Fetches the files into {@code target}, creating it only once all four are complete and
     * verified, so that an interrupted fetch leaves nothing behind.
     *
     * @throws dev.dualnet.trainer.util.UserException when fetching or verification fails
     */
    void fetchInto(Path target);
}
