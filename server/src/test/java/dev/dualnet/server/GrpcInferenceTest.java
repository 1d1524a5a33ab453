package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.Float16;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.config.proto.ModelConfigProto.DataType;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelConfig;
import dev.dualnet.runtime.testing.HalfModel;
import dev.dualnet.server.grpc.proto.GrpcService.InferParameter;
import dev.dualnet.server.grpc.proto.GrpcService.InferTensorContents;
import dev.dualnet.server.grpc.proto.GrpcService.ModelConfigRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ModelMetadataRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelMetadataResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ModelReadyRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelRepositoryParameter;
import dev.dualnet.server.grpc.proto.GrpcService.ModelStatistics;
import dev.dualnet.server.grpc.proto.GrpcService.ModelStatisticsRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelStreamInferResponse;
import dev.dualnet.server.grpc.proto.GrpcService.RepositoryIndexRequest;
import dev.dualnet.server.grpc.proto.GrpcService.RepositoryModelLoadRequest;
import dev.dualnet.server.grpc.proto.GrpcService.RepositoryModelUnloadRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ServerLiveRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ServerMetadataRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ServerMetadataResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ServerReadyRequest;
import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.GrpcClient;
import dev.dualnet.server.testing.RestInfer;
import dev.dualnet.server.testing.TestServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Open Inference Protocol over gRPC against the same server over HTTP: every RPC, the same
 * answers bit for bit for the same inputs, typed or raw, and the same refusals with the same
 * messages under Triton's status codes.
 */
class GrpcInferenceTest {
    @TempDir
    static Path dir;

    static TestServer server;
    static GrpcClient grpc;
    static Digits digits;

    @BeforeAll
    static void start() throws Exception {
        Path repo = TestServer.repository(dir);
        Files.createDirectories(repo.resolve("broken").resolve("1"));
        Files.writeString(repo.resolve("broken").resolve("1").resolve("model.onnx"), "not a model");
        HalfModel.writeEntry(repo, "half", HalfModel.config("half"));
        server = TestServer.start(repo, true, 500);
        grpc = new GrpcClient(server.grpcPort());
        digits = Digits.load();
    }

    @AfterAll
    static void stop() throws Exception {
        grpc.close();
        server.close();
    }

    @Test
    void liveReadyAndServerMetadataSayWhatRestSays() throws Exception {
        assertThat(grpc.blocking().serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
        // A refused model makes the server not ready over both protocols; gRPC says so with OK.
        assertThat(server.get("/v2/health/ready").statusCode()).isEqualTo(503);
        assertThat(grpc.blocking().serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isFalse();

        ServerMetadataResponse metadata = grpc.blocking().serverMetadata(ServerMetadataRequest.getDefaultInstance());
        JsonNode rest = TestServer.json(server.get("/v2"));
        assertThat(metadata.getName()).isEqualTo(rest.get("name").asText()).isEqualTo("dualnet");
        assertThat(metadata.getVersion()).isEqualTo(rest.get("version").asText()).isEqualTo(DualnetServer.VERSION);
        List<String> extensions = new ArrayList<>();
        rest.get("extensions").forEach(e -> extensions.add(e.asText()));
        assertThat(metadata.getExtensionsList()).isEqualTo(extensions).isNotEmpty();
    }

    @Test
    void serverReadyIsTrueWhenEveryModelServes() throws Exception {
        try (TestServer healthy = TestServer.start(TestServer.repository(dir.resolve("healthy")), true, 100);
                GrpcClient client = new GrpcClient(healthy.grpcPort())) {
            assertThat(healthy.get("/v2/health/ready").statusCode()).isEqualTo(200);
            assertThat(client.blocking().serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
        }
    }

    @Test
    void modelReadinessAndMetadataMatchRest() throws Exception {
        assertThat(grpc.blocking().modelReady(ready("dualnet", "")).getReady()).isTrue();
        assertThat(grpc.blocking().modelReady(ready("dualnet", "1")).getReady()).isTrue();
        assertThat(grpc.blocking().modelReady(ready("broken", "")).getReady()).isFalse();
        assertRefused(() -> grpc.blocking().modelReady(ready("nope", "")), Status.Code.NOT_FOUND,
                restError("/v2/models/nope/ready", 404));
        // A version that does not serve is not ready, as REST's 400 says; it may serve after a load.
        assertThat(grpc.blocking().modelReady(ready("dualnet", "2")).getReady()).isFalse();
        assertThat(restError("/v2/models/dualnet/versions/2/ready", 400)).contains("version 2 is not ready");

        for (String model : List.of("dualnet", "adder", "half")) {
            ModelMetadataResponse metadata = grpc.blocking().modelMetadata(
                    ModelMetadataRequest.newBuilder().setName(model).build());
            assertThat(asJson(metadata).toString()).as(model)
                    .isEqualTo(TestServer.json(server.get("/v2/models/" + model)).toString());
        }
        String notReady = restError("/v2/models/broken", 503);
        assertThat(notReady).contains("not ready").doesNotContain(dir.toString());
        assertRefused(() -> grpc.blocking().modelMetadata(ModelMetadataRequest.newBuilder().setName("broken").build()),
                Status.Code.UNAVAILABLE, notReady);
    }

    @Test
    void modelConfigIsTheInterfaceTheServerEnforces() {
        ModelConfig seed = grpc.blocking().modelConfig(ModelConfigRequest.newBuilder().setName("seed").build())
                .getConfig();
        assertThat(seed.getName()).isEqualTo("seed");
        assertThat(seed.getPlatform()).isEqualTo("onnxruntime_onnx");
        assertThat(seed.getMaxBatchSize()).isEqualTo(256);
        assertThat(seed.getInputList()).extracting(i -> i.getName(), i -> i.getDataType(), i -> i.getDimsList())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("image", DataType.TYPE_FP32, List.of(1L, 28L, 28L)),
                        org.assertj.core.groups.Tuple.tuple("number", DataType.TYPE_INT64, List.of(1L)));
        assertThat(seed.getInput(1).hasReshape()).isTrue();
        assertThat(seed.getInput(1).getReshape().getShapeList()).isEmpty();
        assertThat(seed.getOutputList()).extracting(o -> o.getName(), o -> o.getDimsList())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("digit", List.of(10L)),
                        org.assertj.core.groups.Tuple.tuple("sum", List.of(19L)));

        ModelConfig adder = grpc.blocking().modelConfig(ModelConfigRequest.newBuilder().setName("adder").build())
                .getConfig();
        assertThat(adder.getMaxBatchSize()).isZero();
        assertThat(adder.getInputList()).extracting(i -> i.getName()).containsExactly("x", "y");
        assertThat(adder.getOutput(0).getName()).isEqualTo("total");

        assertRefused(() -> grpc.blocking().modelConfig(ModelConfigRequest.newBuilder().setName("broken").build()),
                Status.Code.UNAVAILABLE, "model 'broken' is not ready");
        assertRefused(() -> grpc.blocking().modelConfig(ModelConfigRequest.newBuilder().setName("nope").build()),
                Status.Code.NOT_FOUND, "unknown model 'nope'");
    }

    @Test
    void typedAndRawInferAreBitEqualToRestsJsonAndBinaryAnswers() throws Exception {
        List<NamedTensor> inputs = digits.inputs(5, 3);
        Map<String, byte[]> binary = RestInfer.binary(server, "seed", inputs);
        HttpResponse<String> json = RestInfer.json(server, "seed", inputs);
        assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
        JsonNode jsonOutputs = TestServer.json(json).get("outputs");

        ModelInferResponse typed = grpc.blocking().modelInfer(GrpcClient.typed("seed", inputs).setId("typed").build());
        ModelInferResponse raw = grpc.blocking().modelInfer(GrpcClient.rawOutputs(GrpcClient.raw("seed", inputs))
                .setId("raw").build());
        ModelInferResponse mixed = grpc.blocking().modelInfer(GrpcClient.typed("seed", inputs)
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("digit")
                        .putParameters("binary_data", InferParameter.newBuilder().setBoolParam(true).build()))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("sum"))
                .build());

        assertThat(typed.getRawOutputContentsCount()).isZero();
        assertThat(typed.getOutputs(0).getContents().getFp32ContentsCount()).isEqualTo(30);
        assertThat(raw.getRawOutputContentsCount()).isEqualTo(2);
        assertThat(raw.getOutputs(0).hasContents()).isFalse();
        // One output asking for raw data makes the whole response raw: the protocol has no mix.
        assertThat(mixed.getRawOutputContentsCount()).isEqualTo(2);
        for (ModelInferResponse response : List.of(typed, raw, mixed)) {
            assertThat(response.getModelName()).isEqualTo("seed");
            assertThat(response.getModelVersion()).isEqualTo("1");
            assertThat(response.getOutputsList()).extracting(o -> o.getName()).containsExactly("digit", "sum");
            assertThat(response.getOutputs(0).getDatatype()).isEqualTo("FP32");
            assertThat(response.getOutputs(0).getShapeList()).containsExactly(3L, 10L);
            assertThat(response.getOutputs(1).getShapeList()).containsExactly(3L, 19L);
            for (int o = 0; o < 2; o++) {
                assertThat(GrpcClient.outputBytes(response, o)).as("output %d", o)
                        .isEqualTo(binary.get(response.getOutputs(o).getName()));
                float[] values = GrpcClient.floats(response, o);
                JsonNode data = jsonOutputs.get(o).get("data");
                assertThat(data).hasSize(values.length);
                for (int k = 0; k < values.length; k++) {
                    assertThat(Float.floatToRawIntBits(values[k])).as("output %d value %d", o, k)
                            .isEqualTo(Float.floatToRawIntBits(data.get(k).floatValue()));
                }
            }
        }
        assertThat(typed.getId()).isEqualTo("typed");
        assertThat(raw.getId()).isEqualTo("raw");
        float[] digit = GrpcClient.floats(typed, 0);
        for (int row = 0; row < 3; row++) {
            float[] expected = digits.digitProbabilities(5 + row);
            for (int k = 0; k < 10; k++) {
                assertThat(digit[row * 10 + k]).isCloseTo(expected[k], within(1e-5f));
            }
        }
    }

    @Test
    void aGenericModelAnswersAsOverRest() throws Exception {
        List<NamedTensor> inputs = List.of(
                new NamedTensor("x", ElementType.FP32, new long[] {2, 3}, new float[] {1, 1, 1, 2, 2, 2.5f}),
                new NamedTensor("y", ElementType.INT64, new long[] {2}, new long[] {10, -20}));
        Map<String, byte[]> rest = RestInfer.binary(server, "adder", inputs);
        for (ModelInferRequest.Builder request : List.of(GrpcClient.typed("adder", inputs),
                GrpcClient.raw("adder", inputs))) {
            ModelInferResponse response = grpc.blocking().modelInfer(request.build());
            assertThat(response.getOutputs(0).getName()).isEqualTo("total");
            assertThat(GrpcClient.outputBytes(response, 0)).isEqualTo(rest.get("total"));
            assertThat(GrpcClient.floats(response, 0)).hasSize(6);
        }
    }

    @Test
    void requestedOutputsAreTheOnlyOnesReturned() {
        ModelInferResponse response = grpc.blocking().modelInfer(GrpcClient.typed("dualnet", digits.inputs(3, 1))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("sum")).build());
        assertThat(response.getOutputsList()).extracting(o -> o.getName()).containsExactly("sum");
        float[] sum = GrpcClient.floats(response, 0);
        assertThat(Digits.argMax(sum)).isEqualTo(digits.expectedSum(3));
    }

    @Test
    void fp16TravelsRawOnlyAndForcesARawResponse() throws Exception {
        short[] bits = new short[8];
        double[] values = {0.1, -2.5, 1000, 6e-8, 0, 65504, 21844, -0.333};
        for (int i = 0; i < bits.length; i++) {
            bits[i] = Float16.fromDouble(values[i]);
        }
        List<NamedTensor> inputs = List.of(new NamedTensor(HalfModel.INPUT, ElementType.FP16, new long[] {2, 4}, bits));
        Map<String, byte[]> rest = RestInfer.binary(server, "half", inputs);

        ModelInferResponse response = grpc.blocking().modelInfer(GrpcClient.raw("half", inputs).build());
        assertThat(response.getRawOutputContentsCount()).isEqualTo(2);
        assertThat(response.getOutputs(1).getDatatype()).isEqualTo("FP16");
        assertThat(GrpcClient.outputBytes(response, 0)).isEqualTo(rest.get(HalfModel.WIDE));
        assertThat(response.getRawOutputContents(1).toByteArray()).isEqualTo(rest.get(HalfModel.TRIPLED));

        ModelInferRequest.Builder typed = ModelInferRequest.newBuilder().setModelName("half")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName(HalfModel.INPUT).setDatatype("FP16")
                        .addShape(1).addShape(4).setContents(InferTensorContents.newBuilder()
                                .addFp32Contents(1).addFp32Contents(2).addFp32Contents(3).addFp32Contents(4)));
        assertRefused(() -> grpc.blocking().modelInfer(typed.build()), Status.Code.INVALID_ARGUMENT,
                "inputs[0] ('x') is FP16, which has no typed contents field; send its data in raw_input_contents");
        ModelInferRequest.Builder askTyped = GrpcClient.raw("half", inputs).addOutputs(
                ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(HalfModel.TRIPLED)
                        .putParameters("binary_data", InferParameter.newBuilder().setBoolParam(false).build()));
        assertRefused(() -> grpc.blocking().modelInfer(askTyped.build()), Status.Code.INVALID_ARGUMENT,
                "output 'tripled' asks for typed contents (binary_data false) but it is FP16");
    }

    @Test
    void unknownModelsAndVersionsAreNotFoundWithRestsMessages() throws Exception {
        List<NamedTensor> inputs = digits.inputs(0, 1);
        HttpResponse<String> unknown = RestInfer.json(server, "nope", inputs);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertRefused(() -> grpc.blocking().modelInfer(GrpcClient.typed("nope", inputs).build()),
                Status.Code.NOT_FOUND, TestServer.json(unknown).get("error").asText());
        assertRefused(() -> grpc.blocking().modelInfer(GrpcClient.typed("seed", inputs).setModelVersion("7").build()),
                Status.Code.NOT_FOUND, "model 'seed' has no version '7'; it serves version 1");
        assertRefused(() -> grpc.blocking().modelInfer(GrpcClient.typed("broken", inputs).build()),
                Status.Code.UNAVAILABLE, "model 'broken' is not ready: ");
        assertRefused(() -> grpc.blocking().modelInfer(GrpcClient.typed("", inputs).build()),
                Status.Code.INVALID_ARGUMENT, "no model name given; models: [");
    }

    @Test
    void badShapesAndDatatypesGetRestsMessagesAsInvalidArgument() throws Exception {
        // Shapes and datatypes the model does not take: the checks both protocols go through.
        List<List<NamedTensor>> bad = List.of(
                List.of(new NamedTensor("image", ElementType.FP32, new long[] {1, 2, 28, 14}, new float[784]),
                        number(1)),
                List.of(new NamedTensor("image", ElementType.FP64, new long[] {1, 1, 28, 28}, new double[784]),
                        number(1)),
                List.of(new NamedTensor("image", ElementType.FP32, new long[] {1, 1, 28, 28}, new float[784])),
                List.of(new NamedTensor("image", ElementType.FP32, new long[] {2, 1, 28, 28}, new float[2 * 784]),
                        number(1)));
        for (List<NamedTensor> inputs : bad) {
            HttpResponse<String> rest = RestInfer.json(server, "seed", inputs);
            assertThat(rest.statusCode()).as(rest.body()).isEqualTo(400);
            String message = TestServer.json(rest).get("error").asText();
            assertRefused(() -> grpc.blocking().modelInfer(GrpcClient.typed("seed", inputs).build()),
                    Status.Code.INVALID_ARGUMENT, message);
            assertRefused(() -> grpc.blocking().modelInfer(GrpcClient.raw("seed", inputs).build()),
                    Status.Code.INVALID_ARGUMENT, message);
        }
    }

    @Test
    void malformedRequestsAreInvalidArgumentsSayingWhatWasExpected() {
        List<NamedTensor> inputs = digits.inputs(0, 1);
        ModelInferRequest valid = GrpcClient.raw("seed", inputs).build();

        ModelInferRequest mixed = GrpcClient.typed("seed", inputs).addRawInputContents(valid.getRawInputContents(0))
                .addRawInputContents(valid.getRawInputContents(1)).build();
        assertInvalid(mixed, "inputs[0] has contents while the request carries raw_input_contents");

        ModelInferRequest shortRaw = valid.toBuilder().setRawInputContents(0,
                valid.getRawInputContents(0).substring(0, 100)).build();
        assertInvalid(shortRaw, "inputs[0] ('image'): raw_input_contents[0] is 100 bytes, expected 3136 "
                + "(784 FP32 values of 4 bytes)");

        ModelInferRequest oneRawMissing = valid.toBuilder().clearRawInputContents()
                .addRawInputContents(valid.getRawInputContents(0)).build();
        assertInvalid(oneRawMissing, "raw_input_contents has 1 entries, expected one per input (2)");

        ModelInferRequest shortTyped = GrpcClient.typed("seed", inputs).setInputs(1, GrpcClient.typed("seed", inputs)
                .getInputs(1).toBuilder().setContents(InferTensorContents.newBuilder().addInt64Contents(1)
                        .addInt64Contents(2))).build();
        assertInvalid(shortTyped, "inputs[1] ('number'): shape [1] holds 1 values, contents has 2");

        ModelInferRequest wrongField = GrpcClient.typed("seed", inputs).setInputs(1, GrpcClient.typed("seed", inputs)
                .getInputs(1).toBuilder().setContents(InferTensorContents.newBuilder().addFp32Contents(1))).build();
        assertInvalid(wrongField, "inputs[1] ('number') is INT64 but carries fp32_contents; INT64 values go in "
                + "int64_contents");

        ModelInferRequest unsupported = valid.toBuilder().setInputs(0, valid.getInputs(0).toBuilder()
                .setDatatype("BF16")).build();
        assertInvalid(unsupported, "inputs[0]: unsupported datatype 'BF16', expected one of [");

        ModelInferRequest negative = valid.toBuilder().setInputs(1, valid.getInputs(1).toBuilder().setShape(0, -1))
                .build();
        assertInvalid(negative, "inputs[1].shape[0] is -1, expected a non-negative integer");

        ModelInferRequest huge = valid.toBuilder().setInputs(0, valid.getInputs(0).toBuilder()
                .setShape(0, Long.MAX_VALUE / 2)).build();
        assertInvalid(huge, "inputs[0].shape holds more than 16777216 elements");

        assertInvalid(valid.toBuilder().clearInputs().clearRawInputContents().build(),
                "inputs must be a non-empty list");
        assertInvalid(valid.toBuilder().addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                .setName("nope")).build(), "unknown output 'nope'; the model's outputs are [digit, sum]");
        assertInvalid(valid.toBuilder().putParameters("binary_data_output", InferParameter.newBuilder()
                .setStringParam("yes").build()).build(),
                "parameters.binary_data_output is string_param 'yes', expected a bool_param");
        // dualnet's own value ranges hold over gRPC too.
        ModelInferRequest digitOutOfRange = GrpcClient.typed("seed", List.of(inputs.get(0),
                new NamedTensor("number", ElementType.INT64, new long[] {1}, new long[] {12}))).build();
        assertThatThrownBy(() -> grpc.blocking().modelInfer(digitOutOfRange))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode())
                        .isEqualTo(Status.Code.INVALID_ARGUMENT));
    }

    @Test
    void aStreamAnswersEachOfAHundredRequestsInOrderAndOutlivesABadOne() throws Exception {
        int n = 100;
        int bad = 50;
        CompletableFuture<List<ModelStreamInferResponse>> done = new CompletableFuture<>();
        List<ModelStreamInferResponse> received = java.util.Collections.synchronizedList(new ArrayList<>());
        StreamObserver<ModelInferRequest> requests = grpc.async().modelStreamInfer(new StreamObserver<>() {
            @Override
            public void onNext(ModelStreamInferResponse response) {
                received.add(response);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete(received);
            }
        });
        for (int i = 0; i < n; i++) {
            int row = i % digits.count();
            List<NamedTensor> inputs = i == bad ? List.of(number(1)) : digits.inputs(row, 1);
            ModelInferRequest.Builder request = i % 2 == 0 ? GrpcClient.typed("seed", inputs)
                    : GrpcClient.rawOutputs(GrpcClient.raw("seed", inputs));
            requests.onNext(request.setId("r" + i).build());
        }
        requests.onCompleted();
        List<ModelStreamInferResponse> responses = done.get(60, TimeUnit.SECONDS);

        assertThat(responses).hasSize(n);
        for (int i = 0; i < n; i++) {
            ModelStreamInferResponse response = responses.get(i);
            if (i == bad) {
                assertThat(response.getErrorMessage()).startsWith("missing input 'image'");
                assertThat(response.hasInferResponse()).isFalse();
                continue;
            }
            assertThat(response.getErrorMessage()).as("response %d", i).isEmpty();
            assertThat(response.getInferResponse().getId()).isEqualTo("r" + i);
            float[] digit = GrpcClient.floats(response.getInferResponse(), 0);
            assertThat(Digits.argMax(digit)).as("response %d", i).isEqualTo(digits.expectedDigit(i % digits.count()));
        }
    }

    @Test
    void statisticsAndTheRepositoryIndexMatchRest() throws Exception {
        grpc.blocking().modelInfer(GrpcClient.typed("seed", digits.inputs(0, 3)).build());
        ModelStatistics seed = only(grpc.blocking().modelStatistics(
                ModelStatisticsRequest.newBuilder().setName("seed").build()).getModelStatsList());
        JsonNode rest = TestServer.json(server.get("/v2/models/seed/stats")).get("model_stats");
        assertThat(rest).hasSize(1);
        JsonNode restSeed = rest.get(0);
        assertThat(seed.getName()).isEqualTo("seed");
        assertThat(seed.getVersion()).isEqualTo(restSeed.get("version").asText()).isEqualTo("1");
        assertThat(seed.getInferenceCount()).isEqualTo(restSeed.get("inference_count").asLong()).isGreaterThanOrEqualTo(3);
        assertThat(seed.getExecutionCount()).isEqualTo(restSeed.get("execution_count").asLong()).isPositive();
        assertThat(seed.getInferenceStats().getSuccess().getCount())
                .isEqualTo(restSeed.at("/inference_stats/success/count").asLong()).isPositive();
        assertThat(seed.getInferenceStats().getFail().getCount())
                .isEqualTo(restSeed.at("/inference_stats/fail/count").asLong());
        assertThat(seed.getInferenceStats().getComputeInfer().getNs()).isPositive();
        assertThat(seed.getLastInference()).isEqualTo(restSeed.get("last_inference").asLong())
                .isGreaterThan(System.currentTimeMillis() - 600_000);
        List<Long> batchSizes = new ArrayList<>();
        restSeed.get("batch_stats").forEach(batch -> batchSizes.add(batch.get("batch_size").asLong()));
        assertThat(seed.getBatchStatsList()).extracting(b -> b.getBatchSize()).isEqualTo(batchSizes).isNotEmpty();

        List<String> every = grpc.blocking().modelStatistics(ModelStatisticsRequest.getDefaultInstance())
                .getModelStatsList().stream().map(m -> m.getName() + "/" + m.getVersion()).toList();
        List<String> restEvery = new ArrayList<>();
        TestServer.json(server.get("/v2/models/stats")).get("model_stats")
                .forEach(m -> restEvery.add(m.get("name").asText() + "/" + m.get("version").asText()));
        assertThat(every).isEqualTo(restEvery).contains("seed/1", "half/1").doesNotContain("broken/1");
        assertRefused(() -> grpc.blocking().modelStatistics(ModelStatisticsRequest.newBuilder().setName("nope").build()),
                Status.Code.NOT_FOUND, "unknown model 'nope'");
        assertRefused(() -> grpc.blocking().modelStatistics(
                ModelStatisticsRequest.newBuilder().setName("seed").setVersion("7").build()),
                Status.Code.NOT_FOUND, "model 'seed' has no version '7'; it serves version 1");

        List<String> index = grpc.blocking().repositoryIndex(RepositoryIndexRequest.getDefaultInstance())
                .getModelsList().stream()
                .map(m -> m.getName() + "/" + m.getVersion() + "/" + m.getState() + "/" + m.getReason()).toList();
        List<String> restIndex = new ArrayList<>();
        TestServer.json(server.post("/v2/repository/index", "")).forEach(m -> restIndex.add(m.get("name").asText()
                + "/" + m.path("version").asText() + "/" + m.get("state").asText() + "/" + m.path("reason").asText()));
        assertThat(index).isEqualTo(restIndex).contains("seed/1/READY/").anyMatch(row -> row.startsWith("broken//UNAVAILABLE/"));
        assertThat(grpc.blocking().repositoryIndex(RepositoryIndexRequest.newBuilder().setReady(true).build())
                .getModelsList()).extracting(m -> m.getName()).contains("seed", "half").doesNotContain("broken");
        assertRefused(() -> grpc.blocking().repositoryIndex(
                RepositoryIndexRequest.newBuilder().setRepositoryName("elsewhere").build()),
                Status.Code.INVALID_ARGUMENT, "repository_name 'elsewhere' given: this server serves one repository");
    }

    @Test
    void everyCallIsCountedInTheMetricsByMethodAndCode() throws Exception {
        double inferBefore = grpcCalls("ModelInfer", "OK");
        double refusedBefore = grpcCalls("ModelReady", "NOT_FOUND");
        grpc.blocking().modelInfer(GrpcClient.typed("seed", digits.inputs(1, 1)).build());
        grpc.blocking().modelInfer(GrpcClient.typed("seed", digits.inputs(2, 1)).build());
        assertRefused(() -> grpc.blocking().modelReady(ready("nope", "")), Status.Code.NOT_FOUND, "unknown model 'nope'");
        assertThat(grpcCalls("ModelInfer", "OK")).isEqualTo(inferBefore + 2);
        assertThat(grpcCalls("ModelReady", "NOT_FOUND")).isEqualTo(refusedBefore + 1);
        assertThat(server.get("/metrics").body()).contains("dualnet_grpc_request_duration_seconds_count{method=\"ModelInfer\"}");
    }

    /** The dualnet_grpc_requests_total series of a method and code on GET /metrics; 0 when there is none yet. */
    private static double grpcCalls(String method, String code) throws Exception {
        for (String line : server.get("/metrics").body().split("\n")) {
            if (line.startsWith("dualnet_grpc_requests_total{") && line.contains("method=\"" + method + "\"")
                    && line.contains("code=\"" + code + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    @Test
    void loadAndUnloadAreRefusedWithRestsMessageWhenModelControlIsOff() throws Exception {
        for (String action : List.of("load", "unload")) {
            HttpResponse<String> rest = server.post("/v2/repository/models/seed/" + action, "");
            assertThat(rest.statusCode()).isEqualTo(403);
            String message = TestServer.json(rest).get("error").asText();
            ThrowingCallable call = action.equals("load")
                    ? () -> grpc.blocking().repositoryModelLoad(RepositoryModelLoadRequest.newBuilder()
                            .setModelName("seed").build())
                    : () -> grpc.blocking().repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder()
                            .setModelName("seed").build());
            assertRefused(call, Status.Code.FAILED_PRECONDITION, message);
        }
        assertRefused(() -> grpc.blocking().repositoryModelLoad(RepositoryModelLoadRequest.newBuilder()
                .setModelName("seed").putParameters("config", ModelRepositoryParameter.newBuilder()
                        .setStringParam("{}").build()).build()),
                Status.Code.INVALID_ARGUMENT, "load parameters [config] are not supported");
        assertRefused(() -> grpc.blocking().repositoryModelLoad(RepositoryModelLoadRequest.getDefaultInstance()),
                Status.Code.INVALID_ARGUMENT, "no model_name given");
        // The models stay as they were.
        assertThat(grpc.blocking().modelReady(ready("seed", "")).getReady()).isTrue();
    }

    private static <T> T only(List<T> values) {
        assertThat(values).hasSize(1);
        return values.get(0);
    }

    private static NamedTensor number(long value) {
        return new NamedTensor("number", ElementType.INT64, new long[] {1}, new long[] {value});
    }

    private static ModelReadyRequest ready(String name, String version) {
        return ModelReadyRequest.newBuilder().setName(name).setVersion(version).build();
    }

    private static String restError(String path, int status) throws Exception {
        HttpResponse<String> response = server.get(path);
        assertThat(response.statusCode()).as(path).isEqualTo(status);
        return TestServer.json(response).get("error").asText();
    }

    /** The metadata as GET /v2/models/{name} words it. */
    private static JsonNode asJson(ModelMetadataResponse metadata) {
        ObjectNode json = TestServer.mapper().createObjectNode();
        json.put("name", metadata.getName());
        ArrayNode versions = json.putArray("versions");
        metadata.getVersionsList().forEach(versions::add);
        json.put("platform", metadata.getPlatform());
        for (String side : List.of("inputs", "outputs")) {
            ArrayNode tensors = json.putArray(side);
            for (ModelMetadataResponse.TensorMetadata tensor : side.equals("inputs") ? metadata.getInputsList()
                    : metadata.getOutputsList()) {
                ObjectNode node = tensors.addObject().put("name", tensor.getName()).put("datatype", tensor.getDatatype());
                ArrayNode shape = node.putArray("shape");
                tensor.getShapeList().forEach(shape::add);
            }
        }
        return json;
    }

    private static void assertInvalid(ModelInferRequest request, String message) {
        assertRefused(() -> grpc.blocking().modelInfer(request), Status.Code.INVALID_ARGUMENT, message);
    }

    /** The call fails with {@code code}, its description starting with {@code message}, naming no path. */
    static void assertRefused(ThrowingCallable call, Status.Code code, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).as(String.valueOf(e.getStatus().getDescription())).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).startsWith(message).doesNotContain(dir.toString());
        });
    }
}
