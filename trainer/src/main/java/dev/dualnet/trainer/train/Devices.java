package dev.dualnet.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.dualnet.common.UserException;

/** Turns the {@code --device} option into a DJL device. */
public final class Devices {
    private Devices() {}

    /**
     * @param option "auto" (first CUDA GPU when the engine sees one, else CPU), "cpu", "gpu" or "gpu:N"
     * @throws UserException when a GPU is asked for and the engine has none, or not that many
     */
    public static Device resolve(String option, Engine engine) {
        int gpus = engine.getGpuCount();
        if (option.equals("auto")) {
            return gpus > 0 ? Device.gpu() : Device.cpu();
        }
        if (option.equals("cpu")) {
            return Device.cpu();
        }
        int id = option.contains(":") ? Integer.parseInt(option.substring(option.indexOf(':') + 1)) : 0;
        if (id >= gpus) {
            throw new UserException("--device " + option + ": the PyTorch engine sees " + gpus + " CUDA GPU(s)"
                    + (gpus == 0 ? "; use a GPU build (DUALNET_BUILD=gpu, docs/gpu.md) on a CUDA machine, or --device cpu"
                            : ""));
        }
        return Device.gpu(id);
    }
}
