package dev.dualnet.benchmarks;

import dev.dualnet.runtime.DualNetPredictor;
import dev.dualnet.runtime.RuntimeOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * Runs single predictions in a loop and prints the process RSS as it goes, to show that native
 * memory stays flat: every tensor and result is closed, input buffers are reused.
 *
 * <p>Usage: {@code NativeMemorySoak MODEL [CALLS]} (default 1,000,000 calls). Run it with a fixed,
 * pre-touched heap ({@code -Xms64m -Xmx64m -XX:+AlwaysPreTouch}) so Java heap growth does not
 * show up as RSS growth.
 */
public final class NativeMemorySoak {
    private NativeMemorySoak() {}

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args.length > 0 ? args[0] : "runs/bench/seed-model");
        long calls = args.length > 1 ? Long.parseLong(args[1]) : 1_000_000;
        Random random = new Random(3);
        float[] image = new float[784];
        try (DualNetPredictor predictor = DualNetPredictor.load(model,
                new RuntimeOptions(RuntimeOptions.Device.CPU, 0, 1, RuntimeOptions.Optimization.ALL))) {
            for (int i = 0; i < 20_000; i++) {
                predictor.predict(image, i % 10);
            }
            System.gc();
            long startRss = rssKiB();
            long start = System.nanoTime();
            System.out.printf(Locale.ROOT, "after warm-up: RSS %,d KiB%n", startRss);
            long checksum = 0;
            for (long i = 1; i <= calls; i++) {
                image[(int) (i % 784)] = random.nextFloat();
                checksum += predictor.predict(image, (int) (i % 10)).sum();
                if (i % (calls / 10) == 0) {
                    System.out.printf(Locale.ROOT, "%,d calls: RSS %,d KiB%n", i, rssKiB());
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long endRss = rssKiB();
            System.out.printf(Locale.ROOT,
                    "start RSS %,d KiB, end RSS %,d KiB, growth %+.2f%% over %,d calls in %.1f s (%.0f calls/s, checksum %d)%n",
                    startRss, endRss, 100.0 * (endRss - startRss) / startRss, calls, seconds, calls / seconds, checksum);
        }
    }

    private static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
