package dev.dualnet.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.runtime.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelTest {
    static OnnxModel model;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws Exception {
        model = OnnxModel.load(Fixtures.seedEntry(), Fixtures.options());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void readsInputAndOutputSpecsFromTheSession() {
        assertThat(model.inputs().values()).containsExactly(
                new TensorSpec("image", ElementType.FP32, new long[] {-1, 1, 28, 28}),
                new TensorSpec("number", ElementType.INT64, new long[] {-1}));
        assertThat(model.outputs().values()).containsExactly(
                new TensorSpec("digit", ElementType.FP32, new long[] {-1, 10}),
                new TensorSpec("sum", ElementType.FP32, new long[] {-1, 19}));
        assertThat(model.metadata()).containsEntry("preset", "seed").containsKey("config_sha256");
        assertThat(model.path()).endsWith(Path.of("1", "model.onnx"));
    }

    @Test
    void reportsTheExecutionProviderItChose() {
        ExecutionProvider expected = Fixtures.device() == RuntimeOptions.Device.CUDA ? ExecutionProvider.CUDA
                : ExecutionProvider.CPU;
        assertThat(model.executionProvider()).isEqualTo(expected);
    }

    @Test
    void runsNamedTensorsAndReturnsRequestedOutputs() {
        Map<String, NamedTensor> out = model.run(List.of(
                new NamedTensor("image", ElementType.FP32, new long[] {2, 1, 28, 28}, new float[2 * 784]),
                new NamedTensor("number", ElementType.INT64, new long[] {2}, new long[] {3, 4})), Set.of("sum"));
        assertThat(out).containsOnlyKeys("sum");
        NamedTensor sum = out.get("sum");
        assertThat(sum.shape()).containsExactly(2, 19);
        float total = 0;
        for (float p : (float[]) sum.data()) {
            total += p;
        }
        assertThat(total).isCloseTo(2f, org.assertj.core.data.Offset.offset(1e-4f));
    }

    @Test
    void valuesTheGraphCannotTakeAreTheCallersError() throws Exception {
        // lookup.onnx gathers a row of a table of ten: index int64 [N] -> row float32 [N,2].
        Path file = Path.of(OnnxModelTest.class.getResource("/lookup.onnx").toURI());
        try (OnnxModel lookup = OnnxModel.load(file, Fixtures.options())) {
            NamedTensor good = new NamedTensor("index", ElementType.INT64, new long[] {2}, new long[] {9, 0});
            assertThat((float[]) lookup.run(List.of(good), Set.of()).get("row").data()).containsExactly(18, 19, 0, 1);
            NamedTensor beyond = new NamedTensor("index", ElementType.INT64, new long[] {2}, new long[] {3, 10});
            assertThatThrownBy(() -> lookup.run(List.of(beyond), Set.of()))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith("the model cannot take these input values: Gather node 'lookup': ")
                    .hasMessageContaining("idx=10")
                    .hasMessageNotContaining(file.toString());
        }
    }

    @Test
    void rejectsUnknownMissingMistypedAndMisshapenInputsBeforeRunning() {
        NamedTensor image = new NamedTensor("image", ElementType.FP32, new long[] {1, 1, 28, 28}, new float[784]);
        NamedTensor number = new NamedTensor("number", ElementType.INT64, new long[] {1}, new long[] {1});
        assertThatThrownBy(() -> model.run(List.of(image, number,
                new NamedTensor("extra", ElementType.FP32, new long[] {1}, new float[1])), Set.of()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("unknown input 'extra'");
        assertThatThrownBy(() -> model.run(List.of(image), Set.of()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("missing input 'number'");
        assertThatThrownBy(() -> model.run(List.of(image,
                new NamedTensor("number", ElementType.INT32, new long[] {1}, new int[] {1})), Set.of()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("datatype INT32, expected INT64");
        assertThatThrownBy(() -> model.run(List.of(number,
                new NamedTensor("image", ElementType.FP32, new long[] {1, 784}, new float[784])), Set.of()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("shape [1, 784], expected [-1, 1, 28, 28]");
        assertThatThrownBy(() -> model.run(List.of(image, number), Set.of("probabilities")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("unknown output 'probabilities'");
    }

    @Test
    void refusesEmptyTensorsBeforeOnnxRuntimeSeesThem() {
        // A zero-row batch reaches a native integer division in ONNX Runtime and kills the JVM.
        assertThatThrownBy(() -> model.run(List.of(
                new NamedTensor("image", ElementType.FP32, new long[] {0, 1, 28, 28}, new float[0]),
                new NamedTensor("number", ElementType.INT64, new long[] {0}, new long[0])), Set.of()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("input 'image' has shape [0, 1, 28, 28]; every dimension must be at least 1");
        assertThatThrownBy(() -> model.validate(List.of(
                new NamedTensor("image", ElementType.FP32, new long[] {1, 1, 28, 28}, new float[784]),
                new NamedTensor("number", ElementType.INT64, new long[] {0}, new long[0])), Set.of()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("input 'number' has shape [0]");
    }

    @Test
    void refusesInputsThatDisagreeOnTheGraphsBatchDimension() {
        NamedTensor twoImages = new NamedTensor("image", ElementType.FP32, new long[] {2, 1, 28, 28}, new float[2 * 784]);
        NamedTensor oneNumber = new NamedTensor("number", ElementType.INT64, new long[] {1}, new long[] {3});
        assertThatThrownBy(() -> model.run(List.of(twoImages, oneNumber), Set.of()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("inputs 'image' and 'number' disagree on dimension 'N': 2 and 1");
        NamedTensor oneImage = new NamedTensor("image", ElementType.FP32, new long[] {1, 1, 28, 28}, new float[784]);
        NamedTensor twoNumbers = new NamedTensor("number", ElementType.INT64, new long[] {2}, new long[] {3, 4});
        assertThatThrownBy(() -> model.run(List.of(twoNumbers, oneImage), Set.of()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("inputs 'number' and 'image' disagree on dimension 'N': 2 and 1");
    }

    @Test
    void closingTwiceIsHarmlessAndRunningAfterCloseSaysSo() throws Exception {
        OnnxModel own = OnnxModel.load(Fixtures.seedEntry(), Fixtures.options());
        List<NamedTensor> feeds = List.of(
                new NamedTensor("image", ElementType.FP32, new long[] {1, 1, 28, 28}, new float[784]),
                new NamedTensor("number", ElementType.INT64, new long[] {1}, new long[] {2}));
        // The session keeps running on its options well after the load returned.
        for (int i = 0; i < 3; i++) {
            assertThat(own.run(feeds, Set.of("digit")).get("digit").shape()).containsExactly(1, 10);
        }
        own.close();
        own.close();
        assertThatThrownBy(() -> own.run(feeds, Set.of()))
                .isInstanceOf(IllegalStateException.class).hasMessage("model.onnx: the model is closed");
    }

    @Test
    void tensorDataMustMatchItsShapeAndType() {
        assertThatThrownBy(() -> new NamedTensor("image", ElementType.FP32, new long[] {1, 1, 28, 28}, new float[783]))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("holds 784 values, got 783");
        assertThatThrownBy(() -> new NamedTensor("n", ElementType.INT64, new long[] {1}, new int[1]))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("must be a long[]");
        assertThatThrownBy(() -> ElementType.fromProtocolName("FP8"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("unsupported datatype 'FP8'");
    }

    @Test
    void missingModelFileNamesThePath() {
        Path missing = dir.resolve("nothing.onnx");
        assertThatThrownBy(() -> OnnxModel.load(missing, Fixtures.options()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessage(missing + ": model file not found");
    }

    @Test
    void aDirectoryWithoutAModelSaysWhatWasLookedForAndNamesTheEntriesOfARepositoryRoot() throws Exception {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        String expected = ": no model.onnx in it or in a numbered version directory; expected a model file or a "
                + "repository entry (NAME/VERSION/model.onnx)";
        assertThatThrownBy(() -> OnnxModel.load(empty, Fixtures.options()))
                .isInstanceOf(ModelLoadException.class).hasMessage(empty + expected);
        Path root = Files.createDirectory(dir.resolve("models"));
        Path version = Files.createDirectories(root.resolve("seed").resolve("1"));
        Files.copy(Fixtures.seedEntry().resolve("1").resolve("model.onnx"), version.resolve("model.onnx"));
        assertThatThrownBy(() -> OnnxModel.load(root, Fixtures.options()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessage(root + expected + "; it is a repository root with the entries [seed]");
    }

    @Test
    void corruptModelFileNamesThePathAndTheCause() throws Exception {
        byte[] model = Files.readAllBytes(Fixtures.seedEntry().resolve("1").resolve("model.onnx"));
        Path truncated = Files.write(dir.resolve("truncated.onnx"), java.util.Arrays.copyOf(model, model.length / 3));
        assertThatThrownBy(() -> OnnxModel.load(truncated, Fixtures.options()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageStartingWith(truncated + ": not a loadable ONNX model: ");
        Path text = Files.writeString(dir.resolve("text.onnx"), "not a model");
        assertThatThrownBy(() -> OnnxModel.load(text, Fixtures.options()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageStartingWith(text + ": not a loadable ONNX model");
    }

    /**
     * Three machines: a CPU build (no CUDA provider), a GPU build without a usable GPU or CUDA
     * libraries (the provider fails to start), and a GPU build on a GPU machine.
     */
    @Test
    void requiringCudaEitherRunsOnItOrFailsClearly() throws Exception {
        boolean cudaBuilt = ai.onnxruntime.OrtEnvironment.getAvailableProviders()
                .contains(ai.onnxruntime.OrtProvider.CUDA);
        RuntimeOptions cuda = RuntimeOptions.defaults().withDevice(RuntimeOptions.Device.CUDA);
        if (Fixtures.device() == RuntimeOptions.Device.CUDA) {
            try (OnnxModel model = OnnxModel.load(Fixtures.seedEntry(), cuda)) {
                assertThat(model.executionProvider()).isEqualTo(ExecutionProvider.CUDA);
            }
            return;
        }
        ExecutionProvider expectedAuto;
        if (!cudaBuilt) {
            assertThatThrownBy(() -> OnnxModel.load(Fixtures.seedEntry(), cuda))
                    .isInstanceOf(ModelLoadException.class)
                    .hasMessageContaining("CUDA requested but this build has no CUDA execution provider");
            expectedAuto = ExecutionProvider.CPU;
        } else {
            expectedAuto = cudaStartsHere(cuda);
        }
        try (OnnxModel auto = OnnxModel.load(Fixtures.seedEntry(), RuntimeOptions.defaults())) {
            assertThat(auto.executionProvider()).isEqualTo(expectedAuto);
        }
    }

    /** With the provider built in: CUDA either starts, or fails naming what the machine lacks. */
    private static ExecutionProvider cudaStartsHere(RuntimeOptions cuda) {
        try (OnnxModel model = OnnxModel.load(Fixtures.seedEntry(), cuda)) {
            assertThat(model.executionProvider()).isEqualTo(ExecutionProvider.CUDA);
            return ExecutionProvider.CUDA;
        } catch (ModelLoadException e) {
            assertThat(e).hasMessageContaining(": CUDA execution provider failed: ")
                    .hasMessageContaining("needs an NVIDIA GPU with CUDA 12.x and cuDNN 9.x libraries");
            return ExecutionProvider.CPU;
        }
    }

    @Test
    void repositoryListsEntriesWithTheirLatestVersion() throws Exception {
        Path root = dir.resolve("repo");
        Path model = Fixtures.seedEntry().resolve("1").resolve("model.onnx");
        Files.createDirectories(root.resolve("a").resolve("1"));
        Files.createDirectories(root.resolve("a").resolve("3"));
        Files.createDirectories(root.resolve("a").resolve("old"));
        Files.copy(model, root.resolve("a").resolve("1").resolve("model.onnx"));
        Files.copy(model, root.resolve("a").resolve("3").resolve("model.onnx"));
        Files.createDirectories(root.resolve("empty").resolve("1"));
        assertThat(ModelRepository.entries(root)).containsExactly(
                new ModelRepository.Entry("a", 3, root.resolve("a").resolve("3").resolve("model.onnx")));
    }
}
