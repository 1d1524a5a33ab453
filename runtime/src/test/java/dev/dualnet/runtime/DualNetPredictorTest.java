package dev.dualnet.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.runtime.testing.Fixtures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DualNetPredictorTest {
    static DualNetPredictor predictor;
    static float[] images;
    static int[] numbers;

    @BeforeAll
    static void load() throws Exception {
        predictor = DualNetPredictor.load(Fixtures.seedEntry(), Fixtures.options());
        images = Fixtures.bundleImages();
        numbers = Fixtures.bundleNumbers();
    }

    @AfterAll
    static void close() {
        predictor.close();
    }

    @Test
    void singleAndBatchedPredictionsAgree() {
        float[] images = images();
        int[] numbers = numbers();
        List<Prediction> batch = predictor.predict(images, numbers);
        for (int i = 0; i < 5; i++) {
            Prediction single = predictor.predict(Arrays.copyOfRange(images, i * 784, (i + 1) * 784), numbers[i]);
            assertThat(single.digit()).isEqualTo(batch.get(i).digit());
            assertThat(single.sum()).isEqualTo(batch.get(i).sum());
            assertThat(single.sumProbabilities()).containsExactly(batch.get(i).sumProbabilities(),
                    org.assertj.core.data.Offset.offset(1e-6f));
        }
    }

    @Test
    void aBatchRunInSlicesGivesTheSameResultsAsOneRun() throws Exception {
        float[] images = images();
        int[] numbers = numbers();
        assertThat(numbers.length).isEqualTo(64);
        // 64 rows as slices of 24, 24 and 16 against one run; the sliced predictor also serves a
        // batch of 3 in between, so its kept tensors are rebuilt for each batch size
        try (DualNetPredictor whole = new DualNetPredictor(OnnxModel.load(Fixtures.seedEntry(), Fixtures.options()),
                        Integer.MAX_VALUE);
                DualNetPredictor sliced = new DualNetPredictor(OnnxModel.load(Fixtures.seedEntry(),
                        Fixtures.options()), 24)) {
            List<Prediction> expected = whole.predict(images, numbers);
            for (int round = 0; round < 2; round++) {
                List<Prediction> got = sliced.predict(images, numbers);
                assertThat(got).hasSize(numbers.length);
                for (int i = 0; i < numbers.length; i++) {
                    assertThat(got.get(i).digitProbabilities()).as("row %d", i)
                            .containsExactly(expected.get(i).digitProbabilities());
                    assertThat(got.get(i).sumProbabilities()).as("row %d", i)
                            .containsExactly(expected.get(i).sumProbabilities());
                }
                assertThat(sliced.predict(Arrays.copyOf(images, 3 * 784), Arrays.copyOf(numbers, 3)).get(2).sum())
                        .isEqualTo(expected.get(2).sum());
            }
        }
    }

    @Test
    void cpuSlicesAreSixtyFourRowsPerIntraOpThread() throws Exception {
        assertThat(predictor.model().intraOpThreads()).isEqualTo(2);
        int expected = predictor.model().executionProvider() == ExecutionProvider.CPU ? 128 : Integer.MAX_VALUE;
        assertThat(predictor.rowsPerRun()).isEqualTo(expected);
        assertThatThrownBy(() -> new DualNetPredictor(predictor.model(), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rows per run must be at least 1, got 0");
    }

    @Test
    void concurrentCallsOnOneSessionGetTheirOwnResults() throws Exception {
        float[] images = images();
        int[] numbers = numbers();
        int n = numbers.length;
        List<Prediction> expected = predictor.predict(images, numbers);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t;
                results.add(pool.submit((Callable<Boolean>) () -> {
                    for (int k = 0; k < 100; k++) {
                        int i = (offset * 7 + k) % n;
                        int batch = 1 + (k % 4);
                        int size = Math.min(batch, n - i);
                        List<Prediction> got = predictor.predict(
                                Arrays.copyOfRange(images, i * 784, (i + size) * 784),
                                Arrays.copyOfRange(numbers, i, i + size));
                        for (int j = 0; j < size; j++) {
                            Prediction want = expected.get(i + j);
                            if (got.get(j).digit() != want.digit() || got.get(j).sum() != want.sum()
                                    || Math.abs(got.get(j).sumProbabilities()[want.sum()]
                                            - want.sumProbabilities()[want.sum()]) > 1e-5) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void rejectsBadInputWithWhatWasExpected() {
        float[] image = new float[784];
        assertThatThrownBy(() -> predictor.predict(new float[783], 1))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("images hold 783 values for 1 numbers, expected 1 x 784");
        assertThatThrownBy(() -> predictor.predict(new float[][] {image, new float[10]}, new int[] {1, 2}))
                .hasMessageContaining("image 1 has 10 values, expected 784");
        assertThatThrownBy(() -> predictor.predict(new float[][] {image}, new int[] {1, 2}))
                .hasMessageContaining("1 images but 2 numbers");
        assertThatThrownBy(() -> predictor.predict(new float[0], new int[0])).hasMessageContaining("empty batch");
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0.01f, 1.01f,
                Math.nextUp(1f), -Float.MIN_VALUE, Float.intBitsToFloat(0xFFC00000)}) {
            float[] broken = image.clone();
            broken[100] = bad;
            assertThatThrownBy(() -> predictor.predict(broken, 3))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("pixel 100 of image 0 is " + bad + ", expected a finite value in [0, 1]");
        }
        float[] edges = image.clone();
        edges[0] = 0f;
        edges[1] = -0f;
        edges[2] = 1f;
        edges[3] = Float.MIN_VALUE;
        edges[4] = Math.nextDown(1f);
        assertThat(predictor.predict(edges, 3).digit()).isBetween(0, 9);
        assertThatThrownBy(() -> predictor.predict(image, 10)).hasMessageContaining("number 0 is 10, expected 0..9");
        assertThatThrownBy(() -> predictor.predict(image, -1)).hasMessageContaining("number 0 is -1, expected 0..9");
    }

    private static float[] images() {
        return images.clone();
    }

    private static int[] numbers() {
        return numbers.clone();
    }

    private static float max(float[] values) {
        float best = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            best = Math.max(best, v);
        }
        return best;
    }
}
