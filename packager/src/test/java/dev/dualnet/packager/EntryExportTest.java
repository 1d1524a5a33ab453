package dev.dualnet.packager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dualnet.common.Json;
import dev.dualnet.common.Sha256;
import dev.dualnet.common.UserException;
import dev.dualnet.exporter.TensorSpec;
import dev.dualnet.exporter.testing.OnnxChecker;
import dev.dualnet.packager.testing.SavedModels;
import dev.dualnet.parity.Npy;
import dev.dualnet.parity.ParityBundle;
import dev.dualnet.parity.ParityCheck;
import dev.dualnet.parity.ReportWriter;
import dev.dualnet.parity.Tolerance;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.runtime.config.ModelConfigFile;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A DJL model directory becomes a repository entry that ONNX Runtime has been checked against. */
class EntryExportTest {
    @TempDir
    Path dir;

    private EntryExport.Request request(Path model, Path entry, List<String> inputs, List<String> outputs,
            Path parityInputs, Tolerance tolerance) {
        return new EntryExport.Request(model, List.of(), inputs.stream().map(TensorSpec::parse).toList(), outputs,
                null, 17, 1, 64, entry, parityInputs, 4, tolerance, "test");
    }

    @Test
    void resnetBecomesABatchedEntry() throws Exception {
        Path model = SavedModels.resnet(dir);
        Path entry = dir.resolve("repo/resnet");
        EntryExport.Result result = EntryExport.export(request(model, entry, List.of("data:float32:N,3,28,28"),
                List.of("logits"), null, Tolerance.DEFAULTS));

        assertThat(result.written()).isTrue();
        assertThat(result.check().passed()).isTrue();
        assertThat(OnnxChecker.check(entry.resolve("1/model.onnx"))).contains("ok");
        ModelConfig config = ModelConfigFile.read(entry.resolve("config.pbtxt"));
        assertThat(config.getName()).isEqualTo("resnet");
        assertThat(config.getMaxBatchSize()).isEqualTo(64);
        assertThat(config.getInput(0).getDimsList()).containsExactly(3L, 28L, 28L);
        assertThat(config.getOutput(0).getName()).isEqualTo("logits");
        assertThat(config.getOutput(0).getDimsList()).containsExactly(10L);
        JsonNode card = Json.mapper().readTree(entry.resolve("model_card.json").toFile());
        assertThat(card.path("onnx").path("sha256").asText()).isEqualTo(Sha256.of(entry.resolve("1/model.onnx")));
        assertThat(card.path("parameters").path("sha256").asText()).isEqualTo(Sha256.of(model.resolve("resnet-0000.params")));
        assertThat(card.path("blockFactory").asText()).isEqualTo("userzoo.ResNetFactory");
        assertThat(card.path("inputs").path("data").asText()).isEqualTo("float32 [N,3,28,28]");
        assertThat(card.path("djl").path("engine").asText()).isEqualTo("PyTorch");
        ParityBundle bundle = ParityBundle.read(entry.resolve("1/parity"));
        assertThat(bundle.count()).isEqualTo(4);
        assertThat(bundle.outputs().get("logits").shape()).containsExactly(4, 10);
        assertThat(Files.list(dir.resolve("repo")).map(p -> p.getFileName().toString())).containsExactly("resnet");
    }

    @Test
    void bertStyleIntegerInputsStayInsideTheirTables() throws Exception {
        Path model = SavedModels.bert(dir);
        Path entry = dir.resolve("repo/bert");
        EntryExport.Result result = EntryExport.export(request(model, entry,
                List.of("tokens:int64:N,12", "types:int64:N,12", "mask:int64:N,12"), List.of("hidden", "pooled"),
                null, Tolerance.DEFAULTS));

        assertThat(result.written()).as(() -> result.check().outputs().stream()
                .map(o -> ReportWriter.describe(o, result.check().tolerance())).toList().toString()).isTrue();
        assertThat(OnnxChecker.check(entry.resolve("1/model.onnx"))).contains("ok");
        ModelConfig config = ModelConfigFile.read(entry.resolve("config.pbtxt"));
        assertThat(config.getInputList()).extracting(i -> i.getDataType().name()).containsOnly("TYPE_INT64");
        assertThat(config.getOutputList()).extracting(o -> o.getName()).containsExactly("hidden", "pooled");
        ParityBundle bundle = ParityBundle.read(entry.resolve("1/parity"));
        long[] tokens = (long[]) bundle.inputs().get("tokens").data();
        assertThat(Arrays.stream(tokens).max().getAsLong()).isLessThan(30).isGreaterThan(1);
        long[] types = (long[]) bundle.inputs().get("types").data();
        assertThat(Arrays.stream(types).max().getAsLong()).isLessThan(16);
        long[] mask = (long[]) bundle.inputs().get("mask").data();
        assertThat(mask).containsOnly(0L, 1L);
    }

    @Test
    void anOutputThatDoesNotScaleWithTheBatchMakesAnUnbatchedEntry() throws Exception {
        Path model = SavedModels.batchMean(dir);
        Path entry = dir.resolve("repo/stats");
        EntryExport.Result result = EntryExport.export(request(model, entry, List.of("x:float32:N,4"),
                List.of("scores", "mean"), null, Tolerance.DEFAULTS));

        assertThat(result.written()).isTrue();
        assertThat(OnnxChecker.check(entry.resolve("1/model.onnx"))).contains("ok");
        ModelConfig config = ModelConfigFile.read(entry.resolve("config.pbtxt"));
        assertThat(config.getMaxBatchSize()).isZero();
        assertThat(config.getInput(0).getDimsList()).containsExactly(-1L, 4L);
        assertThat(config.getOutput(1).getDimsList()).containsExactly(4L);
        ParityBundle bundle = ParityBundle.read(entry.resolve("1/parity"));
        assertThat(bundle.batched()).isFalse();
        assertThat(bundle.inputs().get("x").shape()).containsExactly(4, 4);
        assertThat(bundle.outputs().get("mean").shape()).containsExactly(4);
        assertThat(ParityCheck.againstBundle(entry, null, null, null, RuntimeOptions.defaults()).passed()).isTrue();
    }

    @Test
    void theUsersOwnInputsGoIntoTheBundle() throws Exception {
        Path model = SavedModels.lstm(dir);
        Path inputs = Files.createDirectories(dir.resolve("inputs"));
        float[] values = new float[3 * 5 * 4];
        Random random = new Random(3);
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat();
        }
        Npy.write(inputs.resolve("x.npy"), new NamedTensor("x", ElementType.FP32, new long[] {3, 5, 4}, values));
        Path entry = dir.resolve("repo/lstm");
        EntryExport.Result result = EntryExport.export(request(model, entry, List.of("x:float32:N,5,4"), List.of(),
                inputs, Tolerance.DEFAULTS));

        assertThat(result.written()).isTrue();
        ParityBundle bundle = ParityBundle.read(entry.resolve("1/parity"));
        assertThat((float[]) bundle.inputs().get("x").data()).containsExactly(values);
        assertThat(bundle.outputs().get("output_0").shape()).containsExactly(3, 5, 3);
    }

    @Test
    void nothingIsWrittenWhenOnnxRuntimeDisagreesWithDjl() throws Exception {
        Path model = SavedModels.resnet(dir);
        Path entry = dir.resolve("repo/resnet");
        // No tolerance at all: float rounding alone sets the two engines apart.
        EntryExport.Result result = EntryExport.export(request(model, entry, List.of("data:float32:N,3,28,28"),
                List.of(), null, new Tolerance(0, 0)));

        assertThat(result.written()).isFalse();
        assertThat(result.check().outputs().get(0).worst()).isNotNull();
        assertThat(entry).doesNotExist();
        assertThat(Files.list(dir.resolve("repo")).toList()).isEmpty();
    }

    @Test
    void inputsThatDoNotFitTheModelAreRefused() throws Exception {
        Path model = SavedModels.lstm(dir);
        Path entry = dir.resolve("repo/lstm");
        assertThatThrownBy(() -> EntryExport.export(request(model, entry, List.of("x:float32:N,5"), List.of(), null,
                Tolerance.DEFAULTS))).isInstanceOf(UserException.class)
                .hasMessage("--input x:float32:N,5 has rank 2, but the model's input 1 has rank 3 (saved for (1, 5, 4))");
        assertThatThrownBy(() -> EntryExport.export(request(model, entry, List.of("x:float32:N,5,4", "y:int64:N"),
                List.of(), null, Tolerance.DEFAULTS))).isInstanceOf(UserException.class)
                .hasMessage("the model takes 1 input (saved for (1, 5, 4)), but 2 --input were given");
        assertThat(entry).doesNotExist();
    }
}
