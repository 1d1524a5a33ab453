package dev.dualnet.showcase;

import dev.dualnet.exporter.optimize.GraphOptimizer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.showcase.ModelExport;
import dev.dualnet.exporter.onnx.proto.Onnx;
import dev.dualnet.showcase.parity.PairedSamples;
import dev.dualnet.exporter.testing.OnnxChecker;
import dev.dualnet.showcase.testing.TinyRuns;
import dev.dualnet.runtime.DualNetPredictor;
import dev.dualnet.runtime.Prediction;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.trainer.model.DualNetModel;
import dev.dualnet.trainer.model.Preset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The rewritten graph of each preset predicts what the literal graph predicts, on real test images. */
class GraphOptimizerTest {
    private static final int SAMPLES = 512;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Preset.class)
    void rewrittenModelMatchesTheLiteralOne(Preset preset) throws Exception {
        Path run = TinyRuns.run(preset);
        ModelExport.Result literal = new ModelExport(GraphOptimizer.none())
                .export(run, dir.resolve("literal"), 64, TinyRuns.data().test(), 16, "test");
        ModelExport.Result rewritten = new ModelExport(GraphOptimizer.standard())
                .export(run, dir.resolve("rewritten"), 64, TinyRuns.data().test(), 16, "test");
        assertThat(OnnxChecker.check(rewritten.model())).contains("ok");

        PairedSamples samples = PairedSamples.of(TinyRuns.data().test(), 99, SAMPLES);
        List<Prediction> expected = predict(literal.model(), samples);
        List<Prediction> actual = predict(rewritten.model(), samples);
        for (int i = 0; i < SAMPLES; i++) {
            assertThat(actual.get(i).digit()).isEqualTo(expected.get(i).digit());
            assertThat(actual.get(i).sum()).isEqualTo(expected.get(i).sum());
            assertClose(actual.get(i).digitProbabilities(), expected.get(i).digitProbabilities());
            assertClose(actual.get(i).sumProbabilities(), expected.get(i).sumProbabilities());
        }
    }

    @Test
    void seedPresetLosesItsFullResolutionPoolingAndOneHotBranch() throws Exception {
        Path run = TinyRuns.run(Preset.SEED);
        ModelExport.Result literal = new ModelExport(GraphOptimizer.none())
                .export(run, dir.resolve("literal"), 64, TinyRuns.data().test(), 16, "test");
        ModelExport.Result rewritten = new ModelExport().export(run, dir.resolve("rewritten"), 64, TinyRuns.data().test(),
                16, "test");

        Onnx.GraphProto before = Onnx.ModelProto.parseFrom(Files.readAllBytes(literal.model())).getGraph();
        Onnx.GraphProto after = Onnx.ModelProto.parseFrom(Files.readAllBytes(rewritten.model())).getGraph();
        try (DualNetModel djl = DualNetModel.create(Preset.SEED, ai.djl.Device.cpu())) {
            assertThat(names(before.getInitializerList())).containsAll(djl.parameters().keys());
        }
        assertThat(opTypes(before)).contains("OneHot", "Concat", "Flatten");
        assertThat(opTypes(after)).doesNotContain("OneHot", "Concat", "Flatten").contains("Gather");
        List<Onnx.NodeProto> convs = after.getNodeList().stream().filter(n -> n.getOpType().equals("Conv")).toList();
        assertThat(convs).hasSize(2).allSatisfy(conv -> assertThat(conv.getAttributeList()).anySatisfy(a -> {
            assertThat(a.getName()).isEqualTo("strides");
            assertThat(a.getIntsList()).containsExactly(2L, 2L);
        }));
        assertThat(after.getNodeList()).filteredOn(n -> n.getOpType().equals("MaxPool"))
                .allSatisfy(pool -> assertThat(pool.getAttribute(0).getIntsList()).containsExactly(4L, 1L));
        assertThat(rewritten.card().onnx().get("graphRewrites")).isEqualTo(
                Map.of("relu-before-max-pool", 2, "pooled-convolution", 2, "reshape-flatten", 1,
                        "one-hot-branch-table", 1));
        Map<String, String> metadata = Onnx.ModelProto.parseFrom(Files.readAllBytes(rewritten.model()))
                .getMetadataPropsList().stream().collect(Collectors.toMap(Onnx.StringStringEntryProto::getKey,
                        Onnx.StringStringEntryProto::getValue));
        assertThat(dev.dualnet.common.Json.mapper().readTree(metadata.get("graph_rewrites"))
                .get("pooled-convolution").asInt()).isEqualTo(2);
        // Every value a node reads still exists: nothing dangling after the old nodes went.
        Set<String> available = names(after.getInitializerList());
        after.getInputList().forEach(v -> available.add(v.getName()));
        for (Onnx.NodeProto node : after.getNodeList()) {
            for (String input : node.getInputList()) {
                assertThat(available).as(node.getName() + " reads " + input).contains(input);
            }
            available.addAll(node.getOutputList());
        }
    }

    private static List<Prediction> predict(Path model, PairedSamples samples) throws Exception {
        try (DualNetPredictor predictor = DualNetPredictor.load(model, RuntimeOptions.defaults())) {
            return predictor.predict(samples.images(), samples.numbersAsInts());
        }
    }

    private static void assertClose(float[] actual, float[] expected) {
        for (int k = 0; k < expected.length; k++) {
            assertThat((double) actual[k]).isCloseTo(expected[k], org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    private static List<String> opTypes(Onnx.GraphProto graph) {
        return graph.getNodeList().stream().map(Onnx.NodeProto::getOpType).toList();
    }

    private static Set<String> names(List<Onnx.TensorProto> initializers) {
        return initializers.stream().map(Onnx.TensorProto::getName).collect(Collectors.toCollection(HashSet::new));
    }
}
