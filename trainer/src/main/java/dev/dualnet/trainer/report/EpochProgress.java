package dev.dualnet.trainer.report;

import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.function.Consumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live progress bar over one epoch's samples, showing loss, running accuracies and speed. On a
 * terminal it redraws in place; without one (CI, redirected output) it logs a line every few
 * seconds instead of flooding the log.
 */
public final class EpochProgress implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EpochProgress.class);
    private static final int TERMINAL_REFRESH_MS = 200;
    private static final int LOG_REFRESH_MS = 10_000;

    private static final long FORMAT_INTERVAL_NANOS = 100_000_000L;

    private final ProgressBar bar;
    private long lastFormatted = System.nanoTime() - FORMAT_INTERVAL_NANOS;
    private double meanLoss;
    private double digitAccuracy;
    private double sumAccuracy;

    public EpochProgress(int epoch, int epochs, long samples) {
        this(epoch, epochs, samples, System.console() != null ? null : LOG::info);
    }

    /**
     * @param logLine where lines go when there is no terminal to redraw on; null draws on the terminal
     */
    EpochProgress(int epoch, int epochs, long samples, Consumer<String> logLine) {
        ProgressBarBuilder builder = new ProgressBarBuilder()
                .setTaskName(String.format(Locale.ROOT, "epoch %d/%d", epoch, epochs))
                .setInitialMax(samples)
                .setUnit(" samples", 1)
                .showSpeed()
                .setSpeedUnit(ChronoUnit.SECONDS)
                .setMaxRenderedLength(140);
        if (logLine == null) {
            builder.setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUpdateIntervalMillis(TERMINAL_REFRESH_MS);
        } else {
            builder.setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(LOG_REFRESH_MS)
                    .setConsumer(new DelegatingProgressBarConsumer(new WithoutRepeats(logLine), 140));
        }
        bar = builder.build();
    }

    /** Advances by one batch and updates the running figures. */
    public void step(int samples, double meanLoss, double digitAccuracy, double sumAccuracy) {
        bar.stepBy(samples);
        this.meanLoss = meanLoss;
        this.digitAccuracy = digitAccuracy;
        this.sumAccuracy = sumAccuracy;
        // Formatting the figures every step costs more than a small step's worth of the training
        // thread; the bar shows them at most every TERMINAL_REFRESH_MS anyway.
        long now = System.nanoTime();
        if (now - lastFormatted >= FORMAT_INTERVAL_NANOS) {
            lastFormatted = now;
            showFigures();
        }
    }

    private void showFigures() {
        bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f digit %.2f%% sum %.2f%%",
                meanLoss, 100 * digitAccuracy, 100 * sumAccuracy));
    }

    @Override
    public void close() {
        showFigures();
        bar.close();
    }

    /** Drops a line equal to the one before: closing the bar renders its final state twice. */
    private static final class WithoutRepeats implements Consumer<String> {
        private final Consumer<String> target;
        private String last;

        WithoutRepeats(Consumer<String> target) {
            this.target = target;
        }

        @Override
        public void accept(String line) {
            if (!line.equals(last)) {
                target.accept(line);
            }
            last = line;
        }
    }
}
