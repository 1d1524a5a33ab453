package dev.dualnet.showcase;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.dualnet.common.Json;
import dev.dualnet.exporter.onnx.proto.Onnx;
import dev.dualnet.showcase.parity.EngineParity;
import dev.dualnet.exporter.testing.OnnxChecker;
import dev.dualnet.showcase.testing.TinyRuns;
import dev.dualnet.parity.ParityCheck;
import dev.dualnet.parity.ParityReport;
import dev.dualnet.parity.TensorComparison;
import dev.dualnet.parity.Tolerance;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.trainer.model.Preset;
import dev.dualnet.trainer.train.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Both presets, trained briefly, export to a checker-clean ONNX model that ONNX Runtime runs faithfully. */
class ExportTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Preset.class)
    void exportsAValidFaithfulModelRepositoryEntry(Preset preset) throws Exception {
        Path run = TinyRuns.run(preset);
        Path entry = dir.resolve("models").resolve("tiny-" + preset.id());
        ModelExport.Result result = new ModelExport().export(run, entry, 64, TinyRuns.data().test(), 128, "test");

        assertThat(OnnxChecker.check(result.model())).contains("ok");

        Onnx.ModelProto model = Onnx.ModelProto.parseFrom(Files.readAllBytes(result.model()));
        assertThat(model.getIrVersion()).isEqualTo(8);
        assertThat(model.getOpsetImport(0).getVersion()).isEqualTo(17);
        Onnx.GraphProto graph = model.getGraph();
        assertThat(graph.getInputList()).extracting(Onnx.ValueInfoProto::getName).containsExactly("image", "number");
        assertThat(graph.getOutputList()).extracting(Onnx.ValueInfoProto::getName).containsExactly("digit", "sum");
        assertThat(graph.getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam()).isEqualTo("N");
        assertThat(graph.getInput(1).getType().getTensorType().getElemType()).isEqualTo(7);
        assertThat(graph.getOutput(1).getType().getTensorType().getShape().getDim(1).getDimValue()).isEqualTo(19);
        assertThat(graph.getInput(0).getDocString()).isNotBlank();
        assertThat(graph.getOutput(0).getDocString()).isNotBlank();
        assertThat(graph.getValueInfoCount()).isGreaterThan(graph.getNodeCount() - 3);
        Map<String, String> metadata = model.getMetadataPropsList().stream()
                .collect(Collectors.toMap(Onnx.StringStringEntryProto::getKey, Onnx.StringStringEntryProto::getValue));
        assertThat(metadata).containsEntry("preset", preset.id())
                .containsKeys("producer", "training_metrics", "data_checksums", "config_sha256");

        // The literal graph keeps every DJL parameter by name: GraphOptimizerTest checks that and the rewrites.
        assertThat(metadata).containsKey("graph_rewrites");

        String config = Files.readString(entry.resolve("config.pbtxt"));
        assertThat(config).contains("name: \"tiny-" + preset.id() + "\"", "platform: \"onnxruntime_onnx\"",
                "max_batch_size: 64", "dynamic_batching", "TYPE_INT64");
        JsonNode card = Json.mapper().readTree(entry.resolve("model_card.json").toFile());
        assertThat(card.get("preset").asText()).isEqualTo(preset.id());
        assertThat(card.get("finalMetrics").get("testDigitAccuracy").asDouble()).isGreaterThan(0.5);
        assertThat(card.get("onnx").get("sha256").asText()).isEqualTo(result.modelSha256());
        Map<String, String> byPath = Checkpoint.read(run).state().dataChecksums();
        Map<String, String> shipped = Json.mapper().convertValue(card.get("dataChecksums"),
                new TypeReference<Map<String, String>>() { });
        assertThat(shipped).hasSize(4).containsOnlyKeys(byPath.keySet().stream()
                .map(path -> Path.of(path).getFileName().toString()).toList());
        assertThat(shipped.values()).containsExactlyInAnyOrderElementsOf(byPath.values());
        assertThat(metadata.get("data_checksums")).doesNotContain("/");

        ParityReport engine = EngineParity.check(run, entry, () -> TinyRuns.data().test(), 1000, Tolerance.DEFAULTS,
                RuntimeOptions.defaults());
        assertThat(engine.passed()).as(engine.toString()).isTrue();
        for (TensorComparison output : engine.outputs()) {
            assertThat(output.argmax().agreements()).isEqualTo(1000);
            assertThat(output.outsideTolerance()).isZero();
        }
        ParityReport bundle = ParityCheck.againstBundle(entry, null, null, null, RuntimeOptions.defaults());
        assertThat(bundle.passed()).as(bundle.toString()).isTrue();
        assertThat(bundle.samples()).isEqualTo(128);
        assertThat(Checkpoint.read(run).state().config().preset()).isEqualTo(preset.id());
    }

    @Test
    void dataChecksumsAreKeyedByFileNameUnlessTwoFilesShareOne() {
        Map<String, String> byName = ModelExport.byFileName(Map.of(
                "/home/a/mnist/train-images-idx3-ubyte", "1",
                "/data/own/train/labels.idx", "2",
                "/data/own/test/labels.idx", "3"));

        assertThat(byName).containsOnlyKeys("train-images-idx3-ubyte", "/data/own/train/labels.idx",
                "/data/own/test/labels.idx");
        assertThat(byName).containsEntry("train-images-idx3-ubyte", "1").containsEntry("/data/own/test/labels.idx", "3");
    }
}
