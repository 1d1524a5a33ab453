package dev.dualnet.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.ModelLoadException;
import dev.dualnet.runtime.TensorSpec;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ModelSignatureTest {
    private static final Path MODELS = Path.of(System.getProperty("dualnet.test.models", "src/test/resources/models"));
    private static final Path REPOSITORY = Path.of(System.getProperty("dualnet.repository", "../models"));

    // The seed graph (models/seed/1/model.onnx) as ONNX Runtime reports it.
    private static final Map<String, TensorSpec> SEED_INPUTS = specs(
            new TensorSpec("image", ElementType.FP32, new long[] {-1, 1, 28, 28}),
            new TensorSpec("number", ElementType.INT64, new long[] {-1}));
    private static final Map<String, TensorSpec> SEED_OUTPUTS = specs(
            new TensorSpec("digit", ElementType.FP32, new long[] {-1, 10}),
            new TensorSpec("sum", ElementType.FP32, new long[] {-1, 19}));

    private static final String SEED_HEADER = "name: \"seed\"\nplatform: \"onnxruntime_onnx\"\nmax_batch_size: 256\n";
    private static final String NUMBER = "{ name: \"number\" data_type: TYPE_INT64 dims: [1] reshape: { shape: [] } }";
    private static final String IMAGE = "{ name: \"image\" data_type: TYPE_FP32 dims: [1, 28, 28] }";

    private static Map<String, TensorSpec> specs(TensorSpec... specs) {
        Map<String, TensorSpec> map = new LinkedHashMap<>();
        for (TensorSpec spec : specs) {
            map.put(spec.name(), spec);
        }
        return map;
    }

    private static ModelSignature seed(String config) throws ModelLoadException {
        return ModelSignature.resolve("seed", Optional.of(ModelConfigFile.parse(config)), SEED_INPUTS, SEED_OUTPUTS, 8);
    }

    private static TensorSignature tensor(String name, ElementType type, long[] dims, long[] reshape) {
        return new TensorSignature(name, type, dims, reshape);
    }

    @Test
    void theCommittedSeedConfigMatchesItsGraph() throws Exception {
        ModelConfig config = ModelConfigFile.read(MODELS.resolve("seed/config.pbtxt"));

        ModelSignature signature = ModelSignature.resolve("seed", Optional.of(config), SEED_INPUTS, SEED_OUTPUTS, 8);

        assertThat(signature.name()).isEqualTo("seed");
        assertThat(signature.maxBatchSize()).isEqualTo(256);
        assertThat(signature.inputs()).containsExactly(
                tensor("image", ElementType.FP32, new long[] {1, 28, 28}, null),
                tensor("number", ElementType.INT64, new long[] {1}, new long[0]));
        assertThat(signature.outputs()).containsExactly(
                tensor("digit", ElementType.FP32, new long[] {10}, null),
                tensor("sum", ElementType.FP32, new long[] {19}, null));
        assertThat(signature.maxQueueSize()).isZero();
        assertThat(signature.derived()).isFalse();
    }

    @Test
    void theRepositorysDualnetConfigMatchesTheSameGraph() throws Exception {
        ModelConfig config = ModelConfigFile.read(REPOSITORY.resolve("dualnet/config.pbtxt"));

        ModelSignature signature = ModelSignature.resolve("dualnet", Optional.of(config), SEED_INPUTS, SEED_OUTPUTS, 8);

        assertThat(signature.name()).isEqualTo("dualnet");
        assertThat(signature.maxBatchSize()).isEqualTo(256);
        assertThat(signature.inputs()).extracting(TensorSignature::name).containsExactly("image", "number");
        assertThat(signature.inputs().get(1).reshape()).isEmpty();
    }

    @Test
    void withoutAConfigABatchableGraphIsDerivedWithTheDefaultBatchSize() throws Exception {
        ModelSignature signature = ModelSignature.resolve("seed", Optional.empty(), SEED_INPUTS, SEED_OUTPUTS, 64);

        assertThat(signature.derived()).isTrue();
        assertThat(signature.maxBatchSize()).isEqualTo(64);
        assertThat(signature.inputs()).containsExactly(
                tensor("image", ElementType.FP32, new long[] {1, 28, 28}, null),
                tensor("number", ElementType.INT64, new long[0], null));
        assertThat(signature.outputs()).containsExactly(
                tensor("digit", ElementType.FP32, new long[] {10}, null),
                tensor("sum", ElementType.FP32, new long[] {19}, null));
        assertThat(signature.maxQueueSize()).isZero();
    }

    @Test
    void withoutAConfigAGraphWithAFixedFirstDimensionIsNotBatched() throws Exception {
        Map<String, TensorSpec> outputs = specs(new TensorSpec("y", ElementType.FP32, new long[] {1, 4}));
        Map<String, TensorSpec> inputs = specs(new TensorSpec("x", ElementType.FP32, new long[] {-1, 4}));

        ModelSignature signature = ModelSignature.resolve("m", Optional.empty(), inputs, outputs, 64);

        assertThat(signature.maxBatchSize()).isZero();
        assertThat(signature.inputs()).containsExactly(tensor("x", ElementType.FP32, new long[] {-1, 4}, null));
        assertThat(signature.outputs()).containsExactly(tensor("y", ElementType.FP32, new long[] {1, 4}, null));
        assertThat(ModelSignature.resolve("seed", Optional.empty(), SEED_INPUTS, SEED_OUTPUTS, 0).maxBatchSize())
                .isZero();
    }

    @Test
    void aConfigWithoutInputsOrOutputsTakesThemFromTheGraph() throws Exception {
        // As the adder test model's config: no batching, nothing listed.
        Map<String, TensorSpec> inputs = specs(
                new TensorSpec("x", ElementType.FP32, new long[] {-1, 3}),
                new TensorSpec("y", ElementType.INT64, new long[] {-1}));
        Map<String, TensorSpec> outputs = specs(new TensorSpec("total", ElementType.FP32, new long[] {-1, 3}));
        ModelConfig config = ModelConfigFile.parse("name: \"adder\"\nplatform: \"onnxruntime_onnx\"\nmax_batch_size: 0\n");

        ModelSignature signature = ModelSignature.resolve("adder", Optional.of(config), inputs, outputs, 8);

        assertThat(signature.derived()).isFalse();
        assertThat(signature.maxBatchSize()).isZero();
        assertThat(signature.inputs()).containsExactly(
                tensor("x", ElementType.FP32, new long[] {-1, 3}, null),
                tensor("y", ElementType.INT64, new long[] {-1}, null));
        assertThat(signature.outputs()).containsExactly(tensor("total", ElementType.FP32, new long[] {-1, 3}, null));
    }

    @Test
    void signaturesComeInGraphOrderWhateverTheConfigsOrder() throws Exception {
        ModelSignature signature = seed(SEED_HEADER + "input [ " + NUMBER + ", " + IMAGE + " ]\n"
                + "output [ { name: \"sum\" data_type: TYPE_FP32 dims: [19] },"
                + " { name: \"digit\" data_type: TYPE_FP32 dims: [10] } ]");

        assertThat(signature.inputs()).extracting(TensorSignature::name).containsExactly("image", "number");
        assertThat(signature.outputs()).extracting(TensorSignature::name).containsExactly("digit", "sum");
    }

    @Test
    void onlyTheListedOutputsAreServed() throws Exception {
        ModelSignature signature = seed(SEED_HEADER + "output [ { name: \"sum\" data_type: TYPE_FP32 dims: [19] } ]");

        assertThat(signature.outputs()).containsExactly(tensor("sum", ElementType.FP32, new long[] {19}, null));
        assertThat(signature.inputs()).extracting(TensorSignature::name).containsExactly("image", "number");
    }

    @Test
    void theConfigMayFixWhatTheGraphLeavesOpen() throws Exception {
        Map<String, TensorSpec> inputs = specs(new TensorSpec("tokens", ElementType.INT32, new long[] {-1, -1}));
        Map<String, TensorSpec> outputs = specs(new TensorSpec("logits", ElementType.FP32, new long[] {-1, -1, 5}));
        ModelConfig config = ModelConfigFile.parse("max_batch_size: 4\n"
                + "input [ { name: \"tokens\" data_type: TYPE_INT32 dims: [128] } ]\n"
                + "output [ { name: \"logits\" data_type: TYPE_FP32 dims: [-1, 5] } ]");

        ModelSignature signature = ModelSignature.resolve("lm", Optional.of(config), inputs, outputs, 8);

        assertThat(signature.inputs()).containsExactly(tensor("tokens", ElementType.INT32, new long[] {128}, null));
        assertThat(signature.outputs()).containsExactly(tensor("logits", ElementType.FP32, new long[] {-1, 5}, null));
    }

    @Test
    void fullShapesWithoutBatchingMatchTheGraphAsIs() throws Exception {
        ModelSignature signature = seed("max_batch_size: 0\ninput [ { name: \"image\" data_type: TYPE_FP32"
                + " dims: [-1, 1, 28, 28] }, { name: \"number\" data_type: TYPE_INT64 dims: [-1] } ]");

        assertThat(signature.maxBatchSize()).isZero();
        assertThat(signature.inputs().get(0).dims()).containsExactly(-1, 1, 28, 28);
        assertThat(signature.outputs().get(1).dims()).containsExactly(-1, 19);
    }

    @Test
    void theQueueSizeComesFromTheDefaultQueuePolicy() throws Exception {
        assertThat(seed(SEED_HEADER + "dynamic_batching { default_queue_policy { max_queue_size: 64 } }").maxQueueSize())
                .isEqualTo(64);
        assertThat(seed(SEED_HEADER + "dynamic_batching { max_queue_delay_microseconds: 100 }").maxQueueSize()).isZero();
        String tooLarge = "dynamic_batching { default_queue_policy { max_queue_size: 4294967295 } }";
        assertThatThrownBy(() -> seed(SEED_HEADER + tooLarge))
                .isInstanceOf(ModelLoadException.class)
                .hasMessage("config.pbtxt dynamic_batching.default_queue_policy.max_queue_size 4294967295 is too large;"
                        + " at most 2147483647");
    }

    static Stream<Arguments> mismatches() {
        return Stream.of(
                Arguments.of("name: \"mnist\"", "config.pbtxt name 'mnist' does not match the model's directory 'seed'"),
                Arguments.of("platform: \"tensorflow_savedmodel\"",
                        "config.pbtxt platform 'tensorflow_savedmodel' is not supported; this server runs ONNX models,"
                                + " platform 'onnxruntime_onnx'"),
                Arguments.of("backend: \"python\"",
                        "config.pbtxt backend 'python' is not supported; this server runs ONNX models,"
                                + " backend 'onnxruntime'"),
                Arguments.of("max_batch_size: -1",
                        "config.pbtxt max_batch_size is -1; use 0 for no batching or a positive batch limit"),
                Arguments.of(SEED_HEADER + "input [ { name: \"image\" data_type: TYPE_FP64 dims: [1, 28, 28] }, " + NUMBER
                                + " ]",
                        "config.pbtxt input 'image' data_type TYPE_FP64 does not match the model's TYPE_FP32"),
                Arguments.of(SEED_HEADER + "input [ { name: \"image\" data_type: TYPE_FP16 dims: [1, 28, 28] }, " + NUMBER
                                + " ]",
                        "config.pbtxt input 'image' data_type TYPE_FP16 does not match the model's TYPE_FP32"),
                Arguments.of(SEED_HEADER + "input [ { name: \"image\" data_type: TYPE_STRING dims: [1, 28, 28] } ]",
                        "config.pbtxt input 'image' data_type TYPE_STRING is not supported; supported are TYPE_FP32,"
                                + " TYPE_FP64, TYPE_FP16, TYPE_INT8, TYPE_UINT8, TYPE_INT16, TYPE_INT32, TYPE_INT64,"
                                + " TYPE_BOOL"),
                Arguments.of(SEED_HEADER + "input [ { name: \"image\" data_type: 99 dims: [1, 28, 28] } ]",
                        "config.pbtxt input 'image' data_type 99 is not supported; supported are TYPE_FP32,"
                                + " TYPE_FP64, TYPE_FP16, TYPE_INT8, TYPE_UINT8, TYPE_INT16, TYPE_INT32, TYPE_INT64,"
                                + " TYPE_BOOL"),
                Arguments.of(SEED_HEADER + "input [ { name: \"image\" dims: [1, 28, 28] } ]",
                        "config.pbtxt input 'image' has no data_type; supported are TYPE_FP32, TYPE_FP64, TYPE_FP16,"
                                + " TYPE_INT8, TYPE_UINT8, TYPE_INT16, TYPE_INT32, TYPE_INT64, TYPE_BOOL"),
                Arguments.of(SEED_HEADER + "input [ { name: \"image\" data_type: TYPE_FP32 dims: [1, 28, 29] } ]",
                        "config.pbtxt input 'image' dims [1, 28, 29] do not match the model's [1, 28, 28]"),
                Arguments.of(SEED_HEADER + "input [ { name: \"image\" data_type: TYPE_FP32 dims: [1, 28, -1] } ]",
                        "config.pbtxt input 'image' dims [1, 28, -1] do not match the model's [1, 28, 28]"),
                Arguments.of(SEED_HEADER + "input [ { name: \"image\" data_type: TYPE_FP32 dims: [-1, 1, 28, 28] } ]",
                        "config.pbtxt input 'image' dims [-1, 1, 28, 28] do not match the model's [1, 28, 28];"
                                + " with max_batch_size > 0, dims leave out the batch dimension"),
                Arguments.of("max_batch_size: 0\ninput [ " + IMAGE + " ]",
                        "config.pbtxt input 'image' dims [1, 28, 28] do not match the model's [-1, 1, 28, 28];"
                                + " with max_batch_size: 0, dims are the full shape, batch dimension included"),
                Arguments.of(SEED_HEADER + "input [ { name: \"image\" data_type: TYPE_FP32 dims: [1, 0, 28] } ]",
                        "config.pbtxt input 'image' dims [1, 0, 28] contain 0; each dimension must be positive,"
                                + " or -1 for any size"),
                Arguments.of(SEED_HEADER + "input [ { name: \"image\" data_type: TYPE_FP32 dims: [1, -2, 28] } ]",
                        "config.pbtxt input 'image' dims [1, -2, 28] contain -2; each dimension must be positive,"
                                + " or -1 for any size"),
                Arguments.of(SEED_HEADER + "input [ " + IMAGE + " ]",
                        "config.pbtxt does not list the model's input 'number'; list all of its inputs [image, number]"
                                + " or none to derive them"),
                Arguments.of(SEED_HEADER + "input [ " + IMAGE + ", " + NUMBER
                                + ", { name: \"label\" data_type: TYPE_INT64 dims: [1] } ]",
                        "config.pbtxt input 'label' is not an input of the model; its inputs are [image, number]"),
                Arguments.of(SEED_HEADER + "input [ " + IMAGE + ", " + NUMBER + ", " + IMAGE + " ]",
                        "config.pbtxt lists input 'image' twice"),
                Arguments.of(SEED_HEADER + "input [ { data_type: TYPE_FP32 dims: [1] } ]",
                        "config.pbtxt input number 1 has no name"),
                Arguments.of(SEED_HEADER + "output [ { name: \"logits\" data_type: TYPE_FP32 dims: [10] } ]",
                        "config.pbtxt output 'logits' is not an output of the model; its outputs are [digit, sum]"),
                Arguments.of(SEED_HEADER + "output [ { name: \"sum\" data_type: TYPE_FP32 dims: [18] } ]",
                        "config.pbtxt output 'sum' dims [18] do not match the model's [19]"),
                Arguments.of(SEED_HEADER + "output [ { name: \"sum\" data_type: TYPE_INT32 dims: [19] } ]",
                        "config.pbtxt output 'sum' data_type TYPE_INT32 does not match the model's TYPE_FP32"),
                Arguments.of(SEED_HEADER + "input [ " + IMAGE
                                + ", { name: \"number\" data_type: TYPE_INT64 dims: [2] reshape: { shape: [] } } ]",
                        "config.pbtxt input 'number' dims [2] hold 2 elements but its reshape [] holds 1"),
                Arguments.of(SEED_HEADER + "input [ " + IMAGE
                                + ", { name: \"number\" data_type: TYPE_INT64 dims: [1] reshape: { shape: [1] } } ]",
                        "config.pbtxt input 'number' reshape [1] does not match the model's [];"
                                + " with max_batch_size > 0, reshape leaves out the batch dimension"),
                Arguments.of(SEED_HEADER + "input [ " + IMAGE
                                + ", { name: \"number\" data_type: TYPE_INT64 dims: [1] reshape: { shape: [0] } } ]",
                        "config.pbtxt input 'number' reshape [0] contains 0; each dimension must be positive,"
                                + " or -1 for any size"),
                Arguments.of(SEED_HEADER + "input [ " + IMAGE
                                + ", { name: \"number\" data_type: TYPE_INT64 dims: [1] } ]",
                        "config.pbtxt input 'number' dims [1] do not match the model's []; the model's tensor is the"
                                + " batch dimension alone, so write dims: [ 1 ] with reshape: { shape: [ ] }"),
                Arguments.of(SEED_HEADER + "sequence_batching { }",
                        "config.pbtxt sets sequence_batching, which this server does not support; it serves"
                                + " stateless models, one request at a time or with dynamic_batching"),
                Arguments.of(SEED_HEADER + "ensemble_scheduling { }",
                        "config.pbtxt sets ensemble_scheduling, which this server does not support; it serves single"
                                + " ONNX models"),
                Arguments.of(SEED_HEADER + "batch_input [ { kind: BATCH_ELEMENT_COUNT target_name: \"n\" } ]",
                        "config.pbtxt sets batch_input, which this server does not support"));
    }

    @ParameterizedTest
    @MethodSource("mismatches")
    void aConfigThatDoesNotFitTheGraphIsRefusedNamingBothSides(String config, String message) {
        assertThatThrownBy(() -> seed(config))
                .isInstanceOf(ModelLoadException.class)
                .hasMessage(message)
                .message()
                .doesNotContain("/");
    }

    @Test
    void float16TensorsAreDeclaredAsTypeFp16() throws Exception {
        Map<String, TensorSpec> inputs = specs(new TensorSpec("x", ElementType.FP16, new long[] {-1, 4}));
        Map<String, TensorSpec> outputs = specs(new TensorSpec("y", ElementType.FP16, new long[] {-1, 4}));
        ModelConfig config = ModelConfigFile.parse("max_batch_size: 8\n"
                + "input [ { name: \"x\" data_type: TYPE_FP16 dims: [4] } ]\n"
                + "output [ { name: \"y\" data_type: TYPE_FP16 dims: [4] } ]");

        ModelSignature signature = ModelSignature.resolve("half", Optional.of(config), inputs, outputs, 8);

        assertThat(signature.inputs()).containsExactly(tensor("x", ElementType.FP16, new long[] {4}, null));
        assertThat(signature.outputs()).containsExactly(tensor("y", ElementType.FP16, new long[] {4}, null));
        ModelConfig wrong = ModelConfigFile.parse("max_batch_size: 8\n"
                + "output [ { name: \"y\" data_type: TYPE_FP32 dims: [4] } ]");
        assertThatThrownBy(() -> ModelSignature.resolve("half", Optional.of(wrong), inputs, outputs, 8))
                .isInstanceOf(ModelLoadException.class)
                .hasMessage("config.pbtxt output 'y' data_type TYPE_FP32 does not match the model's TYPE_FP16");
    }

    @Test
    void batchingIsRefusedForAGraphWithoutADynamicFirstDimension() throws Exception {
        Map<String, TensorSpec> inputs = specs(new TensorSpec("x", ElementType.FP32, new long[] {1, 4}));
        Map<String, TensorSpec> scalar = specs(new TensorSpec("s", ElementType.FP32, new long[0]));
        Map<String, TensorSpec> outputs = specs(new TensorSpec("y", ElementType.FP32, new long[] {-1, 4}));
        Optional<ModelConfig> config = Optional.of(ModelConfigFile.parse("max_batch_size: 256"));

        assertThatThrownBy(() -> ModelSignature.resolve("m", config, inputs, outputs, 8))
                .isInstanceOf(ModelLoadException.class)
                .hasMessage("config.pbtxt max_batch_size is 256 but the model's input 'x' has a fixed first dimension 1;"
                        + " use max_batch_size: 0 and full dims");
        assertThatThrownBy(() -> ModelSignature.resolve("m", config, outputs, scalar, 8))
                .isInstanceOf(ModelLoadException.class)
                .hasMessage("config.pbtxt max_batch_size is 256 but the model's output 's' is a scalar, with no batch"
                        + " dimension; use max_batch_size: 0 and full dims");
    }

    @Test
    void theBackendAndNameMayBeGivenWhenTheyAgree() throws Exception {
        ModelSignature signature = seed("name: \"seed\"\nbackend: \"onnxruntime\"\nmax_batch_size: 16");

        assertThat(signature.maxBatchSize()).isEqualTo(16);
        assertThat(signature.inputs()).hasSize(2);
    }

    @Test
    void aNegativeDefaultBatchSizeIsAProgrammingError() {
        assertThatThrownBy(() -> ModelSignature.resolve("seed", Optional.empty(), SEED_INPUTS, SEED_OUTPUTS, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void signaturesCannotBeChangedThroughTheirArraysOrLists() throws Exception {
        long[] dims = {1, 28, 28};
        long[] reshape = {784};
        TensorSignature image = new TensorSignature("image", ElementType.FP32, dims, reshape);
        dims[0] = 9;
        reshape[0] = 9;
        image.dims()[1] = 9;
        image.reshape()[0] = 9;

        assertThat(image.dims()).containsExactly(1, 28, 28);
        assertThat(image.reshape()).containsExactly(784);
        ModelSignature signature = ModelSignature.resolve("seed", Optional.empty(), SEED_INPUTS, SEED_OUTPUTS, 8);
        assertThatThrownBy(() -> signature.inputs().add(image)).isInstanceOf(UnsupportedOperationException.class);
    }
}
