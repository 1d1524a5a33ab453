package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dualnet.cli.testing.CapturedRun;
import dev.dualnet.cli.testing.LightClassPath;
import dev.dualnet.exporter.testing.OnnxChecker;
import dev.dualnet.packager.testing.SavedModels;
import dev.dualnet.parity.ParityBundle;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.config.ModelConfigFile;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelConfig;
import dev.dualnet.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Users' own models end to end: DJL's ResNet, a stacked LSTM, DJL's BertBlock and a block with an
 * output that does not scale with the batch, each saved the DJL way with its factory only in its
 * directory, go through {@code dualnet export --djl-model}, both parity checks, and
 * {@code dualnet serve}.
 */
class UserModelsTest {
    @TempDir
    Path dir;

    private final CapturedRun cli = new CapturedRun();

    /** One architecture: how to save it, its --input options and its output names. */
    record Architecture(String name, ModelSaver saver, List<String> inputs, List<String> outputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    interface ModelSaver {
        Path save(Path parent) throws Exception;
    }

    static Stream<Arguments> architectures() {
        return Stream.of(
                Arguments.of(new Architecture("resnet", SavedModels::resnet, List.of("data:float32:N,3,28,28"),
                        List.of("logits"))),
                Arguments.of(new Architecture("lstm", SavedModels::lstm, List.of("x:float32:N,5,4"),
                        List.of("y"))),
                Arguments.of(new Architecture("bert", SavedModels::bert,
                        List.of("tokens:int64:N,12", "types:int64:N,12", "mask:int64:N,12"),
                        List.of("hidden", "pooled"))),
                Arguments.of(new Architecture("stats", SavedModels::batchMean, List.of("x:float32:N,4"),
                        List.of("scores", "mean"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void exportParityBothWaysAndServe(Architecture architecture) throws Exception {
        Path model = architecture.saver().save(dir);
        // The factories, and DJL's model zoo, are in the model directories only.
        assertThatThrownBy(() -> Class.forName("userzoo.ResNetFactory")).isInstanceOf(ClassNotFoundException.class);
        assertThatThrownBy(() -> Class.forName("ai.djl.basicmodelzoo.cv.classification.ResNetV1"))
                .isInstanceOf(ClassNotFoundException.class);
        Path repo = dir.resolve("repo");
        Path entry = repo.resolve(architecture.name());
        List<String> args = new ArrayList<>(List.of("export", "--djl-model", model.toString(), "--out",
                entry.toString(), "--output-names", String.join(",", architecture.outputs()), "--bundle-size", "6",
                "--max-batch-size", "8"));
        architecture.inputs().forEach(input -> args.addAll(List.of("--input", input)));
        assertThat(cli.run(args.toArray(String[]::new))).as(cli::err).isZero();
        assertThat(cli.out()).contains(architecture.name().equals("stats")
                ? "parity: ONNX Runtime matches DJL on one feed" : "parity: ONNX Runtime matches DJL on 6 samples");

        assertThat(OnnxChecker.check(entry.resolve("1/model.onnx"))).contains("ok");
        ModelConfig config = ModelConfigFile.read(entry.resolve("config.pbtxt"));
        ParityBundle bundle = ParityBundle.read(entry.resolve("1/parity"));
        // A model with an output that does not scale with the batch is served unbatched.
        assertThat(config.getMaxBatchSize()).isEqualTo(bundle.batched() ? 8 : 0);
        assertThat(bundle.batched()).isEqualTo(!architecture.name().equals("stats"));
        assertThat(config.getInputList()).hasSize(architecture.inputs().size());
        assertThat(config.getOutputList().stream().map(o -> o.getName()).toList())
                .containsExactlyElementsOf(architecture.outputs());

        try (LightClassPath light = new LightClassPath()) {
            assertThat(light.run("parity", "--model", entry.toString(), "--report-dir",
                    dir.resolve("bundle-report").toString())).as(light::err).isZero();
        }
        assertThat(report(dir.resolve("bundle-report")).path("passed").asBoolean()).isTrue();
        assertThat(dir.resolve("bundle-report/TEST-dualnet-parity.xml")).content().doesNotContain("<failure");

        assertThat(cli.run("parity", "--model", entry.toString(), "--djl-model", model.toString(), "--samples", "3",
                "--report-dir", dir.resolve("engine-report").toString())).as(cli::err).isZero();
        JsonNode engineReport = report(dir.resolve("engine-report"));
        assertThat(engineReport.path("passed").asBoolean()).isTrue();
        assertThat(engineReport.path("samples").asInt()).isEqualTo(bundle.batched() ? 3 : 1);
        assertThat(dir.resolve("engine-report/TEST-dualnet-parity.xml")).content().contains("<testcase")
                .doesNotContain("<failure");

        int rows = bundle.batched() ? 2 : -1;
        try (TestServer server = TestServer.start(repo, true, 100)) {
            assertThat(server.get("/v2/models/" + architecture.name() + "/ready").statusCode()).isEqualTo(200);
            HttpResponse<String> response = server.post("/v2/models/" + architecture.name() + "/infer",
                    request(bundle, rows));
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode outputs = TestServer.json(response).get("outputs");
            assertThat(outputs).hasSize(architecture.outputs().size());
            for (JsonNode output : outputs) {
                NamedTensor expected = bundle.outputs().get(output.get("name").asText());
                long[] shape = expected.shape().clone();
                if (rows > 0) {
                    shape[0] = rows;
                }
                assertThat(output.get("shape")).extracting(JsonNode::asLong).containsExactly(box(shape));
                float[] djl = (float[]) expected.data();
                JsonNode served = output.get("data");
                assertThat(served).hasSize((int) NamedTensor.elementCount(shape));
                for (int i = 0; i < served.size(); i++) {
                    assertThat(served.get(i).floatValue()).as("%s[%d]", output.get("name").asText(), i)
                            .isCloseTo(djl[i], org.assertj.core.data.Offset.offset(1e-4f + 1e-4f * Math.abs(djl[i])));
                }
            }
        }
    }

    private static Long[] box(long[] values) {
        return java.util.Arrays.stream(values).boxed().toArray(Long[]::new);
    }

    private static JsonNode report(Path reportDir) throws Exception {
        return TestServer.mapper().readTree(reportDir.resolve("parity-report.json").toFile());
    }

    /** A KServe v2 request for the bundle's first {@code rows} samples, or its whole inputs for -1. */
    private static String request(ParityBundle bundle, int rows) throws Exception {
        ObjectNode body = TestServer.mapper().createObjectNode();
        ArrayNode inputs = body.putArray("inputs");
        for (NamedTensor input : bundle.inputs().values()) {
            ObjectNode tensor = inputs.addObject();
            tensor.put("name", input.name());
            long[] shape = input.shape().clone();
            if (rows > 0) {
                shape[0] = rows;
            }
            ArrayNode dims = tensor.putArray("shape");
            for (long d : shape) {
                dims.add(d);
            }
            tensor.put("datatype", input.type().protocolName());
            ArrayNode data = tensor.putArray("data");
            int count = (int) NamedTensor.elementCount(shape);
            if (input.data() instanceof float[] values) {
                for (int i = 0; i < count; i++) {
                    data.add(values[i]);
                }
            } else if (input.data() instanceof long[] values) {
                for (int i = 0; i < count; i++) {
                    data.add(values[i]);
                }
            } else {
                throw new IllegalArgumentException("no JSON for " + input.type());
            }
        }
        return TestServer.mapper().writeValueAsString(body);
    }
}
