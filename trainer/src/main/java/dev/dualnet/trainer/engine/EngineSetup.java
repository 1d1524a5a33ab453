package dev.dualnet.trainer.engine;

/**
 * Settings the PyTorch engine reads once, when it loads: they must be in place before the first
 * DJL call, which is why they are system properties rather than constructor arguments.
 */
public final class EngineSetup {
    private EngineSetup() {}

    /** The intra-op threads to train with: {@code requested} when given, else every processor. */
    public static int threads(Integer requested) {
        return requested != null ? requested : Runtime.getRuntime().availableProcessors();
    }

    /**
     * Pins the engine to {@code threads} intra-op threads and one inter-op thread, and keeps DJL
     * from downloading anything: the natives come from the jars on the class path.
     */
    public static void configure(int threads) {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("java.awt.headless", "true");
    }
}
