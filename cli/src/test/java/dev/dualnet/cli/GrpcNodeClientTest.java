package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.cli.testing.ServeProcess;
import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.RestInfer;
import dev.dualnet.server.testing.TestServer;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance by a client dualnet did not write, against {@code dualnet serve} as a user starts it:
 * src/test/node/oip-grpc-client.mjs, on grpc-js and proto-loader (exact versions in its
 * package-lock.json, installed under target/ with npm), reads the server's grpc_service.proto and
 * calls every RPC. Its infer answers must be bit-equal to what the HTTP endpoint answers for the
 * same input and within the parity bundle's tolerance of the training engine's outputs; its stream
 * of 100 requests must come back complete and in order; the statistics must count what it sent, and
 * the repository RPCs must unload and load the model.
 */
class GrpcNodeClientTest {
    private static final Path SOURCES = Path.of("src", "test", "node");
    private static final Path INSTALL = Path.of("target", "oip-grpc-client");
    private static final String SCRIPT = "oip-grpc-client.mjs";
    private static final int STREAMED = 100;
    @TempDir
    Path dir;

    @Test
    void anIndependentGrpcJsClientGetsRestsAnswersBitForBit() throws Exception {
        Path client = install();
        Digits digits = Digits.load();
        List<NamedTensor> inputs = digits.inputs(10, 4);
        try (ServeProcess server = ServeProcess.start(TestServer.repository(dir), "--batch-delay-us", "500",
                "--model-control", "explicit")) {
            ObjectNode config = TestServer.mapper().createObjectNode();
            config.put("target", "127.0.0.1:" + server.grpcPort());
            config.putArray("protoDirs")
                    .add(Path.of("..", "server", "src", "main", "proto").toAbsolutePath().normalize().toString())
                    .add(Path.of("..", "runtime", "src", "main", "proto").toAbsolutePath().normalize().toString());
            config.put("model", "seed");
            config.set("inputs", tensors(inputs));
            ArrayNode stream = config.putArray("stream");
            for (int i = 0; i < STREAMED; i++) {
                stream.add(tensors(digits.inputs(i % digits.count(), 1)));
            }
            Path configFile = Files.writeString(dir.resolve("config.json"), config.toString());

            JsonNode result = run(client, configFile);
            Map<String, byte[]> rest = RestInfer.binary(server.base(), "seed", inputs);
            JsonNode restServer = TestServer.json(server.get("/v2"));
            JsonNode restModel = TestServer.json(server.get("/v2/models/seed"));

            assertThat(ok(result, "serverLive").get("live").asBoolean()).isTrue();
            assertThat(ok(result, "serverReady").get("ready").asBoolean()).isTrue();
            JsonNode metadata = ok(result, "serverMetadata");
            assertThat(metadata.get("name")).isEqualTo(restServer.get("name"));
            assertThat(metadata.get("version")).isEqualTo(restServer.get("version"));
            assertThat(metadata.get("extensions")).isEqualTo(restServer.get("extensions"));
            assertThat(ok(result, "modelReady").get("ready").asBoolean()).isTrue();
            JsonNode model = ok(result, "modelMetadata");
            assertThat(model.get("name").asText()).isEqualTo("seed");
            assertThat(model.get("platform")).isEqualTo(restModel.get("platform"));
            for (String side : List.of("inputs", "outputs")) {
                assertThat(model.get(side)).hasSameSizeAs(restModel.get(side));
                for (int t = 0; t < restModel.get(side).size(); t++) {
                    JsonNode tensor = model.get(side).get(t);
                    JsonNode expected = restModel.get(side).get(t);
                    assertThat(tensor.get("name")).isEqualTo(expected.get("name"));
                    assertThat(tensor.get("datatype")).isEqualTo(expected.get("datatype"));
                    // proto-loader gives int64 fields as strings.
                    assertThat(tensor.get("shape").toString().replace("\"", "")).isEqualTo(expected.get("shape").toString());
                }
            }
            JsonNode modelConfig = ok(result, "modelConfig").get("config");
            assertThat(modelConfig.get("name").asText()).isEqualTo("seed");
            assertThat(modelConfig.get("max_batch_size").asInt()).isEqualTo(256);
            assertThat(modelConfig.at("/input/0/data_type").asText()).isEqualTo("TYPE_FP32");
            assertThat(modelConfig.at("/input/1/reshape/shape")).isEmpty();

            for (String form : List.of("typed", "raw")) {
                JsonNode answer = ok(result, form.equals("typed") ? "inferTyped" : "inferRaw");
                assertThat(answer.get("id").asText()).isEqualTo(form);
                assertThat(answer.get("model_version").asText()).isEqualTo("1");
                JsonNode outputs = answer.get("outputs");
                assertThat(outputs).hasSize(2);
                for (JsonNode output : outputs) {
                    String name = output.get("name").asText();
                    assertThat(output.get("form").asText()).isEqualTo(form);
                    byte[] bytes = Base64.getDecoder().decode(output.get("data").asText());
                    assertThat(bytes).as("%s %s, as REST's binary answer", form, name).isEqualTo(rest.get(name));
                    float[] values = floats(bytes);
                    int width = name.equals("digit") ? 10 : 19;
                    for (int row = 0; row < 4; row++) {
                        float[] expected = name.equals("digit") ? digits.digitProbabilities(10 + row)
                                : digits.sumProbabilities(10 + row);
                        for (int k = 0; k < width; k++) {
                            assertThat(values[row * width + k]).as("%s %s row %d", form, name, row)
                                    .isCloseTo(expected[k], within(1e-5f));
                        }
                    }
                }
            }

            JsonNode streamed = result.get("stream");
            assertThat(streamed.has("error")).as(streamed.path("error").toString()).isFalse();
            assertThat(streamed.get("count").asInt()).isEqualTo(STREAMED);
            assertThat(streamed.get("inOrder").asBoolean()).isTrue();
            for (int i = 0; i < STREAMED; i++) {
                JsonNode response = streamed.get("responses").get(i);
                assertThat(response.get("id").asText()).isEqualTo("s" + i);
                assertThat(response.at("/outputs/0/form").asText()).isEqualTo(i % 2 == 1 ? "raw" : "typed");
                float[] digit = floats(Base64.getDecoder().decode(response.at("/outputs/0/data").asText()));
                float[] expected = digits.digitProbabilities(i % digits.count());
                for (int k = 0; k < 10; k++) {
                    assertThat(digit[k]).as("stream response %d", i).isCloseTo(expected[k], within(1e-5f));
                }
            }

            // By then the model has answered two infer requests of 4 rows and the streamed ones of 1 row.
            JsonNode stats = ok(result, "modelStatistics").get("model_stats");
            assertThat(stats).hasSize(1);
            assertThat(stats.at("/0/name").asText()).isEqualTo("seed");
            assertThat(stats.at("/0/version").asText()).isEqualTo("1");
            assertThat(stats.at("/0/inference_count").asLong()).isEqualTo(2 * 4 + STREAMED);
            assertThat(stats.at("/0/inference_stats/success/count").asLong()).isEqualTo(2 + STREAMED);
            assertThat(stats.at("/0/inference_stats/fail/count").asLong()).isZero();
            assertThat(stats.at("/0/inference_stats/compute_infer/ns").asLong()).isPositive();
            assertThat(stats.at("/0/execution_count").asLong()).isBetween(1L, 2L + STREAMED);

            List<String> index = new ArrayList<>();
            ok(result, "repositoryIndex").get("models").forEach(row -> index.add(row.get("name").asText() + "/"
                    + row.get("version").asText() + "/" + row.get("state").asText()));
            assertThat(index).containsExactly("adder/1/READY", "dualnet/1/READY", "seed/1/READY");
            assertThat(ok(result, "repositoryModelUnload")).isEmpty();
            assertThat(ok(result, "repositoryModelLoad")).isEmpty();
            // Whatever the repository RPCs did, the model serves afterwards.
            assertThat(server.get("/v2/models/seed/ready").statusCode()).isEqualTo(200);
        }
    }

    /** The script and its locked dependencies under target/, installed by npm once per lock file. */
    private static Path install() throws Exception {
        Path npm = onPath("npm");
        Files.createDirectories(INSTALL);
        byte[] lock = Files.readAllBytes(SOURCES.resolve("package-lock.json"));
        Path installedLock = INSTALL.resolve("package-lock.json");
        boolean current = Files.isDirectory(INSTALL.resolve("node_modules/@grpc/grpc-js"))
                && Files.isRegularFile(installedLock) && java.util.Arrays.equals(Files.readAllBytes(installedLock), lock);
        for (String file : List.of("package.json", "package-lock.json", SCRIPT)) {
            Files.copy(SOURCES.resolve(file), INSTALL.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!current) {
            // npm ci installs exactly the lock file's versions; no install scripts run.
            String output = exec(List.of(npm.toString(), "ci", "--no-audit", "--no-fund", "--ignore-scripts",
                    "--prefer-offline"), INSTALL, 600, null);
            assertThat(INSTALL.resolve("node_modules/@grpc/grpc-js")).as("npm ci: " + output).isDirectory();
        }
        return INSTALL.resolve(SCRIPT);
    }

    private static JsonNode run(Path script, Path config) throws Exception {
        Path stderr = Files.createTempFile(config.getParent(), "node", ".err");
        String stdout = exec(List.of(onPath("node").toString(), script.getFileName().toString(), config.toString()),
                script.getParent(), 180, stderr);
        // Kept for whoever reads a failure: what the client printed, as it printed it.
        Files.writeString(script.getParent().resolve("last-result.json"), stdout);
        try {
            return TestServer.mapper().readTree(stdout);
        } catch (IOException e) {
            throw new AssertionError("the client printed no JSON: " + stdout + "\n" + Files.readString(stderr), e);
        }
    }

    /**
     * Runs a command to its end.
     *
     * @param stderr where its standard error goes; null to merge it into the output
     * @return its standard output
     * @throws AssertionError when it fails or times out, with what it printed
     */
    private static String exec(List<String> command, Path workDir, int timeoutSeconds, Path stderr) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
        if (stderr == null) {
            builder.redirectErrorStream(true);
        } else {
            builder.redirectError(stderr.toFile());
        }
        Process process = builder.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
        }
        if (process.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + process.exitValue() + ":\n" + output
                    + (stderr == null ? "" : "\n" + Files.readString(stderr)));
        }
        return output;
    }

    private static Path onPath(String program) {
        for (String entry : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(entry, program);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError(program + " not found on PATH: install Debian's npm, which brings Node.js "
                + "(./dualnet test does)");
    }

    private static JsonNode ok(JsonNode result, String rpc) {
        JsonNode answer = result.get(rpc);
        assertThat(answer).as(rpc).isNotNull();
        assertThat(answer.has("ok")).as(rpc + ": " + answer).isTrue();
        return answer.get("ok");
    }

    private static ArrayNode tensors(List<NamedTensor> inputs) {
        ArrayNode list = TestServer.mapper().createArrayNode();
        for (NamedTensor tensor : inputs) {
            ObjectNode node = list.addObject();
            node.put("name", tensor.name());
            node.put("datatype", tensor.type().protocolName());
            ArrayNode shape = node.putArray("shape");
            for (long dim : tensor.shape()) {
                shape.add(dim);
            }
            node.put("raw", Base64.getEncoder().encodeToString(tensor.type().toLittleEndian(tensor.data())));
        }
        return list;
    }

    private static float[] floats(byte[] bytes) {
        float[] out = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }
}
