package dev.dualnet.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.dualnet.common.Json;
import dev.dualnet.trainer.data.MnistFile;
import dev.dualnet.trainer.engine.NativeAllocator;
import dev.dualnet.trainer.model.DualNetModel;
import dev.dualnet.trainer.model.Preset;
import dev.dualnet.trainer.report.RunRecorder;
import dev.dualnet.trainer.report.TrainingCurves;
import dev.dualnet.trainer.testing.RealMnist;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trains the default preset briefly on a real MNIST subset and checks what the run leaves behind. */
class TrainingRunTest {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};

    @TempDir
    static Path dir;

    static List<EpochMetrics> history;

    @BeforeAll
    static void train() throws Exception {
        TrainingConfig config = new TrainingConfig("default", 2, 64, 3e-3f, "onecycle", 0f, 5, 6, 2, "auto",
                4000, 1000);
        history = TrainingRun.fresh(config, RealMnist.data(), dir.resolve("run")).run();
    }

    @Test
    void learnsBothHeadsWellAboveChance() {
        EpochMetrics last = history.get(history.size() - 1);
        assertThat(history).hasSize(2);
        assertThat(last.testDigitAccuracy()).isGreaterThan(0.85);
        assertThat(last.testSumAccuracy()).isGreaterThan(0.30);
        assertThat(last.testBothAccuracy()).isLessThanOrEqualTo(Math.min(last.testDigitAccuracy(), last.testSumAccuracy()));
        assertThat(history.get(1).trainLoss()).isLessThan(history.get(0).trainLoss());
    }

    @Test
    void writesMetricsJsonCsvAndPlots() throws Exception {
        Path run = dir.resolve("run");
        JsonNode metrics = Json.mapper().readTree(run.resolve(RunRecorder.METRICS_JSON).toFile());
        assertThat(metrics.get("epochs")).hasSize(2);
        assertThat(metrics.get("final").get("testBothAccuracy").asDouble()).isEqualTo(history.get(1).testBothAccuracy());

        List<String> csv = Files.readAllLines(run.resolve(RunRecorder.METRICS_CSV));
        assertThat(csv).hasSize(3);
        assertThat(csv.get(0)).startsWith("epoch,train_loss,").contains("test_both_accuracy");
        assertThat(csv.get(2)).startsWith("2,");

        for (String png : List.of(TrainingCurves.LOSS_FILE, TrainingCurves.ACCURACY_FILE)) {
            byte[] bytes = Files.readAllBytes(run.resolve(png));
            assertThat(bytes).hasSizeGreaterThan(2000).startsWith(PNG_MAGIC);
        }
    }

    @Test
    void recordsConfigDataChecksumsAndDevice() throws Exception {
        JsonNode run = Json.mapper().readTree(dir.resolve("run").resolve(RunRecorder.RUN_FILE).toFile());
        assertThat(run.get("config").get("preset").asText()).isEqualTo("default");
        assertThat(run.get("config").get("trainLimit").asInt()).isEqualTo(4000);
        assertThat(run.get("data").get("checksums").toString()).contains(MnistFile.TRAIN_IMAGES.sha256(),
                MnistFile.TEST_LABELS.sha256());
        assertThat(run.get("environment").get("device").asText()).isEqualTo("cpu()");
        assertThat(run.get("environment").get("nativeAllocator").asText())
                .isEqualTo(NativeAllocator.current().label());
    }

    @Test
    void checkpointRestoresTheTrainedNetworkExactly() throws Exception {
        Checkpoint checkpoint = Checkpoint.read(dir.resolve("run"));
        assertThat(checkpoint.state().epoch()).isEqualTo(2);
        assertThat(checkpoint.state().rng().nextEpoch()).isEqualTo(3);
        assertThat(checkpoint.state().history()).isEqualTo(history);
        try (DualNetModel first = DualNetModel.create(Preset.DEFAULT, Device.cpu());
                DualNetModel second = DualNetModel.create(Preset.DEFAULT, Device.cpu());
                NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
            checkpoint.restoreParameters(first);
            checkpoint.restoreParameters(second);
            NDList input = new NDList(manager.randomUniform(0, 1, new Shape(4, 1, 28, 28)),
                    manager.create(new long[] {1, 2, 3, 4}));
            NDList a = first.forward(input, false);
            NDList b = second.forward(input, false);
            assertThat(a.get(0).contentEquals(b.get(0))).isTrue();
            assertThat(a.get(1).contentEquals(b.get(1))).isTrue();
        }
    }
}
