package dev.dualnet.runtime;

/**
 * How to open a model.
 *
 * @param device {@link Device#AUTO} (CUDA when the build and the machine have it, else CPU),
 *     {@link Device#CUDA} (fail if it cannot be used) or {@link Device#CPU}
 * @param deviceId CUDA device number
 * @param intraOpThreads threads ONNX Runtime uses inside one operator; 0 lets it choose
 * @param optimization graph optimisation level
 */
public record RuntimeOptions(Device device, int deviceId, int intraOpThreads, Optimization optimization) {
    public RuntimeOptions {
        if (deviceId < 0) {
            throw new IllegalArgumentException("device id must be >= 0, got " + deviceId);
        }
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intra-op threads must be >= 0, got " + intraOpThreads);
        }
    }

    /** CUDA when available, else CPU; ONNX Runtime's default threads; all optimisations. */
    public static RuntimeOptions defaults() {
        return new RuntimeOptions(Device.AUTO, 0, 0, Optimization.ALL);
    }

    public RuntimeOptions withDevice(Device newDevice) {
        return new RuntimeOptions(newDevice, deviceId, intraOpThreads, optimization);
    }

    public RuntimeOptions withIntraOpThreads(int threads) {
        return new RuntimeOptions(device, deviceId, threads, optimization);
    }

    /** Which execution provider to ask for. */
    public enum Device {
        AUTO,
        CUDA,
        CPU;

        /**
         * Parses a command-line value: auto, cuda or cpu, in any case.
         *
         * @throws IllegalArgumentException naming the accepted values
         */
        public static Device parse(String value) {
            for (Device device : values()) {
                if (device.name().equalsIgnoreCase(value)) {
                    return device;
                }
            }
            throw new IllegalArgumentException("--device must be auto, cuda or cpu, got '" + value + "'");
        }
    }

    /** ONNX Runtime's graph optimisation levels. */
    public enum Optimization {
        NONE,
        BASIC,
        EXTENDED,
        ALL
    }
}
