package dev.dualnet.exporter.trace;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.norm.LayerNorm;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.onnx.proto.Onnx;
import dev.dualnet.exporter.testing.ExportCheck;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Operators whose signature changed between opsets 13 and 18 (Split, Squeeze, Unsqueeze, the
 * Reduce family, LayerNormalization) are written in each opset's own form, and run alike.
 */
class OpsetsTest {
    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** [N, 6, 4] in; splits, squeezes, reduces and normalizes; three outputs. */
    private Block network() {
        Block block = new SequentialBlock().add(LayerNorm.builder().axis(2).build()).add(new LambdaBlock(list -> {
            NDArray x = list.head();
            NDList halves = x.split(2, 1);
            NDList thirds = x.split(new long[] {1, 4}, 1);
            NDArray first = thirds.get(0).squeeze(1);
            NDArray summed = halves.get(0).sum(new int[] {1});
            NDArray averaged = halves.get(1).mean(new int[] {2}, true);
            NDArray peaks = thirds.get(1).max(new int[] {2}).sum(new int[] {1});
            NDArray stacked = NDArrays.stack(new NDList(first, summed), 1).expandDims(3);
            return new NDList(stacked.softmax(2), averaged.add(thirds.get(2).min(new int[] {1}, true)), peaks);
        }));
        block.initialize(manager, DataType.FLOAT32, new Shape(1, 6, 4));
        return block;
    }

    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {13, 14, 15, 16, 17, 18})
    void eachOpsetRunsInOnnxRuntime(int opset) throws Exception {
        Block block = network();
        ExportCheck.Result result = ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,6,4").opset(opset)
                .batches(1, 7).run(dir);
        Onnx.ModelProto model = Onnx.ModelProto.parseFrom(java.nio.file.Files.readAllBytes(result.model()));
        assertThat(model.getOpsetImport(0).getVersion()).isEqualTo(opset);
        List<Onnx.NodeProto> nodes = model.getGraph().getNodeList();
        assertThat(nodes).filteredOn(n -> n.getOpType().equals("LayerNormalization")).hasSize(opset >= 17 ? 1 : 0);
        assertThat(nodes).filteredOn(n -> n.getOpType().equals("ReduceMean") || n.getOpType().equals("ReduceMax"))
                .allSatisfy(n -> assertThat(n.getAttributeList().stream().anyMatch(a -> a.getName().equals("axes")))
                        .isEqualTo(opset < 18));
    }

    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {13, 17, 18})
    void theDefaultOpsetIs17AndEachRequestedOneIsDeclared(int opset) {
        Block block = network();
        OnnxExport export = OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 6, 4);
        if (opset != 17) {
            export.opset(opset);
        }
        assertThat(export.toModel().getOpsetImport(0).getVersion()).isEqualTo(opset);
    }
}
