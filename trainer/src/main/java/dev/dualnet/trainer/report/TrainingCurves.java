package dev.dualnet.trainer.report;

import dev.dualnet.common.AtomicFiles;
import dev.dualnet.trainer.train.EpochMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Draws the per-epoch loss and accuracy curves of a run as PNG files. */
public final class TrainingCurves {
    public static final String LOSS_FILE = "loss.png";
    public static final String ACCURACY_FILE = "accuracy.png";

    private static final int WIDTH = 800;
    private static final int HEIGHT = 500;

    private TrainingCurves() {}

    /**
     * Writes {@value #LOSS_FILE} (train and test loss) and {@value #ACCURACY_FILE} (test digit, sum
     * and both-right accuracy, in percent) into {@code dir}.
     *
     * @throws IOException if a file cannot be written
     */
    public static void write(Path dir, List<EpochMetrics> history) throws IOException {
        XYChart loss = chart("Loss per epoch", "loss (digit + sum cross-entropy)");
        addSeries(loss, "train", history, EpochMetrics::trainLoss);
        addSeries(loss, "test", history, EpochMetrics::testLoss);
        save(loss, dir.resolve(LOSS_FILE));

        XYChart accuracy = chart("Test accuracy per epoch", "accuracy (%)");
        addSeries(accuracy, "digit", history, m -> 100 * m.testDigitAccuracy());
        addSeries(accuracy, "sum", history, m -> 100 * m.testSumAccuracy());
        addSeries(accuracy, "both right", history, m -> 100 * m.testBothAccuracy());
        save(accuracy, dir.resolve(ACCURACY_FILE));
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("epoch").yAxisTitle(yTitle).build();
        chart.getStyler().setDecimalPattern("#0.###");
        chart.getStyler().setXAxisDecimalPattern("0");
        return chart;
    }

    private static void addSeries(XYChart chart, String name, List<EpochMetrics> history,
            ToDoubleFunction<EpochMetrics> value) {
        double[] x = history.stream().mapToDouble(EpochMetrics::epoch).toArray();
        double[] y = history.stream().mapToDouble(value).toArray();
        chart.addSeries(name, x, y).setMarker(SeriesMarkers.CIRCLE);
    }

    private static void save(XYChart chart, Path file) throws IOException {
        byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        AtomicFiles.write(file, out -> out.write(png));
    }
}
