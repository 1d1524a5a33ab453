package dev.dualnet.parity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.runtime.DualNetPredictor;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.Prediction;
import dev.dualnet.runtime.testing.Fixtures;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The runtime's dualnet predictor reproduces the training engine's outputs stored in a parity bundle. */
class PredictorParityTest {
    static DualNetPredictor predictor;
    static ParityBundle bundle;

    @BeforeAll
    static void load() throws Exception {
        predictor = DualNetPredictor.load(Fixtures.seedEntry(), Fixtures.options());
        bundle = ParityBundle.read(ParityBundle.locate(Fixtures.seedEntry()));
    }

    @AfterAll
    static void close() {
        predictor.close();
    }

    @Test
    void reproducesTheTrainingEnginesOutputsOnRealDigits() {
        List<Prediction> predictions = predictor.predict(images(), numbers());
        float[] digit = new float[predictions.size() * 10];
        float[] sum = new float[predictions.size() * 19];
        for (int i = 0; i < predictions.size(); i++) {
            System.arraycopy(predictions.get(i).digitProbabilities(), 0, digit, i * 10, 10);
            System.arraycopy(predictions.get(i).sumProbabilities(), 0, sum, i * 19, 19);
        }
        int n = predictions.size();
        TensorComparison digits = TensorComparison.of(bundle.outputs().get("digit"),
                new NamedTensor("digit", ElementType.FP32, new long[] {n, 10}, digit), bundle.tolerance());
        TensorComparison sums = TensorComparison.of(bundle.outputs().get("sum"),
                new NamedTensor("sum", ElementType.FP32, new long[] {n, 19}, sum), bundle.tolerance());
        assertThat(digits.passed()).as(digits.toString()).isTrue();
        assertThat(sums.passed()).as(sums.toString()).isTrue();
        for (Prediction p : predictions) {
            assertThat(p.digit()).isBetween(0, 9);
            assertThat(p.sum()).isBetween(0, 18);
            assertThat(p.digitProbabilities()[p.digit()]).isEqualTo(max(p.digitProbabilities()));
        }
    }

    @Test
    void genericParityCheckPassesOnTheBundle() {
        List<TensorComparison> result = ParityCheck.compare(predictor.model(), bundle, bundle.tolerance());
        assertThat(result).hasSize(2);
        assertThat(result).as(result.toString()).allMatch(TensorComparison::passed);
        assertThat(result).allSatisfy(c -> assertThat(c.argmax().complete()).isTrue());
    }

    private static float[] images() {
        return (float[]) bundle.inputs().get("image").data();
    }

    private static int[] numbers() {
        long[] longs = (long[]) bundle.inputs().get("number").data();
        int[] ints = new int[longs.length];
        for (int i = 0; i < ints.length; i++) {
            ints[i] = (int) longs[i];
        }
        return ints;
    }

    private static float max(float[] values) {
        float best = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            best = Math.max(best, v);
        }
        return best;
    }
}
