package dev.dualnet.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.runtime.ModelLoadException;
import dev.dualnet.runtime.config.proto.ModelConfigProto.DataType;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelConfig;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelInstanceGroup;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelQueuePolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ModelConfigFileTest {
    private static final Path MODELS = Path.of(System.getProperty("dualnet.test.models", "src/test/resources/models"));
    private static final Path REPOSITORY = Path.of(System.getProperty("dualnet.repository", "../models"));

    // What a production Triton config for an ONNX model typically carries, beyond the basics.
    private static final String FULL_TRITON_CONFIG = """
            name: "resnet50"
            backend: "onnxruntime"
            max_batch_size: 128
            default_model_filename: "model.onnx"
            version_policy: { specific: { versions: [1, 3] } }
            input [
              {
                name: "input"
                data_type: TYPE_FP32
                format: FORMAT_NCHW
                dims: [ 3, 224, 224 ]
              },
              {
                name: "scale"
                data_type: TYPE_FP32
                dims: [ 1 ]
                reshape: { shape: [ ] }
                optional: true
              }
            ]
            output [
              {
                name: "probabilities"
                data_type: TYPE_FP32
                dims: [ 1000 ]
                label_filename: "labels.txt"
              }
            ]
            instance_group [
              { count: 2 kind: KIND_GPU gpus: [ 0, 1 ] },
              { name: "cpu_fallback" count: 1 kind: KIND_CPU }
            ]
            dynamic_batching {
              preferred_batch_size: [ 16, 32, 64 ]
              max_queue_delay_microseconds: 500
              preserve_ordering: false
              priority_levels: 2
              default_priority_level: 2
              default_queue_policy {
                timeout_action: REJECT
                default_timeout_microseconds: 100000
                allow_timeout_override: true
                max_queue_size: 256
              }
              priority_queue_policy {
                key: 1
                value: { timeout_action: DELAY max_queue_size: 32 }
              }
            }
            optimization {
              graph: { level: 1 }
              execution_accelerators {
                gpu_execution_accelerator: [
                  {
                    name: "tensorrt"
                    parameters { key: "precision_mode" value: "FP16" }
                    parameters { key: "max_workspace_size_bytes" value: "1073741824" }
                  }
                ]
                cpu_execution_accelerator: [ { name: "openvino" } ]
              }
              input_pinned_memory { enable: true }
              output_pinned_memory { enable: true }
            }
            parameters { key: "intra_op_thread_count" value: { string_value: "4" } }
            parameters [
              { key: "cudnn_conv_algo_search" value: { string_value: "1" } }
            ]
            metric_tags { key: "team" value: "vision" }
            model_warmup [
              {
                name: "zeros"
                batch_size: 8
                inputs {
                  key: "input"
                  value: { data_type: TYPE_FP32 dims: [ 3, 224, 224 ] zero_data: true }
                }
                inputs {
                  key: "scale"
                  value: { data_type: TYPE_FP32 dims: [ 1 ] random_data: true }
                }
                count: 2
              }
            ]
            model_transaction_policy { decoupled: false }
            response_cache { enable: true }
            model_repository_agents { agents [ { name: "checksum" parameters { key: "MD5:model.onnx" value: "abc" } } ] }
            # A trailing comment, as generated configs often have.
            """;

    @Test
    void theCommittedSeedConfigParses() throws Exception {
        ModelConfig config = ModelConfigFile.read(MODELS.resolve("seed/config.pbtxt"));

        assertThat(config.getName()).isEqualTo("seed");
        assertThat(config.getPlatform()).isEqualTo("onnxruntime_onnx");
        assertThat(config.getMaxBatchSize()).isEqualTo(256);
        assertThat(config.getInputList()).extracting(i -> i.getName()).containsExactly("image", "number");
        assertThat(config.getInput(0).getDataType()).isEqualTo(DataType.TYPE_FP32);
        assertThat(config.getInput(0).getDimsList()).containsExactly(1L, 28L, 28L);
        assertThat(config.getInput(1).hasReshape()).isTrue();
        assertThat(config.getInput(1).getReshape().getShapeCount()).isZero();
        assertThat(config.getOutputList()).extracting(o -> o.getName()).containsExactly("digit", "sum");
        assertThat(config.getVersionPolicy().getLatest().getNumVersions()).isEqualTo(1);
        assertThat(config.getDynamicBatching().getMaxQueueDelayMicroseconds()).isEqualTo(100);
    }

    @Test
    void theRepositorysDualnetConfigParses() throws Exception {
        ModelConfig config = ModelConfigFile.read(REPOSITORY.resolve("dualnet/config.pbtxt"));

        assertThat(config.getName()).isEqualTo("dualnet");
        assertThat(config.getMaxBatchSize()).isEqualTo(256);
        assertThat(config.getInputCount()).isEqualTo(2);
        assertThat(config.getOutputCount()).isEqualTo(2);
    }

    @Test
    void aFullProductionTritonConfigParses() throws Exception {
        ModelConfig config = ModelConfigFile.parse(FULL_TRITON_CONFIG);

        assertThat(config.getBackend()).isEqualTo("onnxruntime");
        assertThat(config.getVersionPolicy().getSpecific().getVersionsList()).containsExactly(1L, 3L);
        assertThat(config.getInstanceGroupList()).extracting(ModelInstanceGroup::getKind)
                .containsExactly(ModelInstanceGroup.Kind.KIND_GPU, ModelInstanceGroup.Kind.KIND_CPU);
        assertThat(config.getInstanceGroup(0).getGpusList()).containsExactly(0, 1);
        assertThat(config.getDynamicBatching().getPreferredBatchSizeList()).containsExactly(16, 32, 64);
        assertThat(config.getDynamicBatching().getDefaultQueuePolicy().getMaxQueueSize()).isEqualTo(256);
        assertThat(config.getDynamicBatching().getPriorityQueuePolicyMap().get(1L).getTimeoutAction())
                .isEqualTo(ModelQueuePolicy.TimeoutAction.DELAY);
        assertThat(config.getOptimization().getExecutionAccelerators().getGpuExecutionAccelerator(0).getParametersMap())
                .containsEntry("precision_mode", "FP16");
        assertThat(config.getOptimization().getExecutionAccelerators().getCpuExecutionAccelerator(0).getName())
                .isEqualTo("openvino");
        assertThat(config.getParametersMap()).containsOnlyKeys("intra_op_thread_count", "cudnn_conv_algo_search");
        assertThat(config.getModelWarmup(0).getInputsMap().get("input").getZeroData()).isTrue();
        assertThat(config.getModelWarmup(0).getCount()).isEqualTo(2);
        assertThat(config.getInput(1).getReshape().getShapeCount()).isZero();
        assertThat(config.getOutput(0).getLabelFilename()).isEqualTo("labels.txt");
        assertThat(config.getResponseCache().getEnable()).isTrue();
        assertThat(config.getModelRepositoryAgents().getAgents(0).getName()).isEqualTo("checksum");
    }

    static Stream<Arguments> badConfigs() {
        return Stream.of(
                Arguments.of("{", "config.pbtxt line 1, column 1: expected a field name, found '{'"),
                Arguments.of("name: \"seed\"\nplatform: \"onnxruntime_onnx\"\n    max_bach_size: 8\n",
                        "config.pbtxt line 3, column 5: unknown field 'max_bach_size'"),
                Arguments.of("dynamic_batching {\n  max_queue_delay_us: 100\n}\n",
                        "config.pbtxt line 2, column 3: unknown field 'max_queue_delay_us'"),
                Arguments.of("input [ { name: \"x\" data_type: TYPE_FLOAT32 } ]",
                        "config.pbtxt line 1, column 32: unknown data_type value 'TYPE_FLOAT32'; expected one of"
                                + " TYPE_INVALID, TYPE_BOOL, TYPE_UINT8, TYPE_UINT16, TYPE_UINT32, TYPE_UINT64,"
                                + " TYPE_INT8, TYPE_INT16, TYPE_INT32, TYPE_INT64, TYPE_FP16, TYPE_FP32, TYPE_FP64,"
                                + " TYPE_STRING, TYPE_BF16"),
                Arguments.of("instance_group [ { kind: KIND_TPU } ]",
                        "config.pbtxt line 1, column 26: unknown kind value 'KIND_TPU'; expected one of"
                                + " KIND_AUTO, KIND_GPU, KIND_CPU, KIND_MODEL"),
                Arguments.of("input { data_type: \"TYPE_FP32\" }",
                        "config.pbtxt line 1, column 20: expected an enum value name, found '\"TYPE_FP32\"'"),
                Arguments.of("max_batch_size: \"8\"",
                        "config.pbtxt line 1, column 17: expected an integer, found '\"8\"'"),
                Arguments.of("max_batch_size: 99999999999",
                        "config.pbtxt line 1, column 17: 99999999999 is out of range for a 32-bit signed integer"),
                Arguments.of("name: seed", "config.pbtxt line 1, column 7: expected a quoted string, found 'seed'"),
                Arguments.of("response_cache { enable: maybe }",
                        "config.pbtxt line 1, column 26: expected true or false, found 'maybe'"),
                Arguments.of("name: \"a\"\nname: \"b\"",
                        "config.pbtxt line 2, column 1: field 'name' is set more than once"),
                Arguments.of("dynamic_batching { }\nsequence_batching { }",
                        "config.pbtxt line 2, column 1: 'sequence_batching' cannot be set together with"
                                + " 'dynamic_batching'; only one of them may be given"),
                Arguments.of("name: \"seed", "config.pbtxt line 1, column 7: a string is missing its closing quote"),
                Arguments.of("max_batch_size 8", "config.pbtxt line 1, column 16: expected ':', found '8'"),
                Arguments.of("input [ { name: \"x\" } { name: \"y\" } ]",
                        "config.pbtxt line 1, column 23: expected ',' or ']', found '{'"),
                Arguments.of("dynamic_batching: 100",
                        "config.pbtxt line 1, column 19: expected '{', found '100'"),
                Arguments.of("dynamic_batching { default_queue_policy { max_queue_size: -1 } }",
                        "config.pbtxt line 1, column 59: expected a non-negative integer, found '-1'"),
                Arguments.of("dynamic_batching {\n  max_queue_delay_microseconds: 100\n",
                        "config.pbtxt line 3, column 1: expected '}', found the end of the file"));
    }

    @ParameterizedTest
    @MethodSource("badConfigs")
    void aBadConfigIsOneSentenceNamingTheFileLineAndColumn(String text, String message) {
        assertThatThrownBy(() -> ModelConfigFile.parse(text))
                .isInstanceOf(ModelLoadException.class)
                .hasMessage(message)
                .message()
                .doesNotContain("com.google", "protobuf", "TextFormat", "ParseException", "inference.");
    }

    @Test
    void aBadFileOnDiskNamesTheFileNotItsPath(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("config.pbtxt"), "name: \"m\"\nmax_batch_size: -\n");

        assertThatThrownBy(() -> ModelConfigFile.read(file))
                .isInstanceOf(ModelLoadException.class)
                .hasMessage("config.pbtxt line 2, column 17: expected an integer, found '-'")
                .message()
                .doesNotContain(dir.toString());
    }

    @Test
    void anEmptyFileIsRefused(@TempDir Path dir) throws IOException {
        String empty = "config.pbtxt is empty; expected the model's configuration (name, platform, max_batch_size,"
                + " input, output), or no file to derive it from the model";
        Path blank = Files.writeString(dir.resolve("config.pbtxt"), "  \n\t\n");

        assertThatThrownBy(() -> ModelConfigFile.read(blank)).isInstanceOf(ModelLoadException.class).hasMessage(empty);
        assertThatThrownBy(() -> ModelConfigFile.parse("# generated\n   # nothing else\n")).hasMessage(empty);
        assertThatThrownBy(() -> ModelConfigFile.parse("")).hasMessage(empty);
    }

    @Test
    void aHashInsideAStringIsNotAComment() throws Exception {
        assertThat(ModelConfigFile.parse("name: \"#1\"").getName()).isEqualTo("#1");
    }

    @Test
    void anUnreadableFileIsReportedWithoutItsPath(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("config.pbtxt");
        Path directory = Files.createDirectory(dir.resolve("sub")).resolve("config.pbtxt");
        Files.createDirectory(directory);
        Path latin1 = Files.write(Files.createDirectory(dir.resolve("latin1")).resolve("config.pbtxt"),
                "name: \"caf\u00e9\"".getBytes(StandardCharsets.ISO_8859_1));

        assertThatThrownBy(() -> ModelConfigFile.read(missing))
                .isInstanceOf(ModelLoadException.class)
                .hasMessage("config.pbtxt does not exist");
        assertThatThrownBy(() -> ModelConfigFile.read(directory))
                .isInstanceOf(ModelLoadException.class)
                .hasMessage("config.pbtxt could not be read");
        assertThatThrownBy(() -> ModelConfigFile.read(latin1))
                .isInstanceOf(ModelLoadException.class)
                .hasMessage("config.pbtxt is not UTF-8 text")
                .message()
                .doesNotContain(dir.toString());
    }
}
