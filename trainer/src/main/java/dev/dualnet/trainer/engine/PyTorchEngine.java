package dev.dualnet.trainer.engine;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.util.Utils;
import dev.dualnet.common.UserException;

/** DJL's PyTorch engine, with a start-up failure turned into an error a user can act on. */
public final class PyTorchEngine {
    private PyTorchEngine() {}

    /**
     * The PyTorch engine, started on first use.
     *
     * @throws UserException when it cannot start: DJL runs offline, so its native library must come
     *     from the build's natives jar and be unpacked into a writable {@code DJL_CACHE_DIR}
     */
    public static Engine get() {
        try {
            return Engine.getEngine("PyTorch");
        } catch (EngineException e) {
            String cause = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new UserException("the PyTorch engine could not start: " + cause + " (DJL_CACHE_DIR is "
                    + Utils.getCacheDir()
                    + "; DJL runs offline, so the natives must come from the build's pytorch-native jar, "
                    + "unpacked into a writable DJL_CACHE_DIR)", e);
        }
    }
}
