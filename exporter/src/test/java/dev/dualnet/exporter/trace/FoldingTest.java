package dev.dualnet.exporter.trace;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.initializer.NormalInitializer;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.onnx.proto.Onnx;
import dev.dualnet.exporter.testing.ExportCheck;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parameters become named initializers, work on constants folds, inference drops dropout. */
class FoldingTest {
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

    private static List<String> opTypes(Onnx.ModelProto model) {
        return model.getGraph().getNodeList().stream().map(Onnx.NodeProto::getOpType).toList();
    }

    @Test
    void parametersAreInitializersNamedByBlockPath() {
        Block block = new SequentialBlock()
                .add(Conv2d.builder().setFilters(4).setKernelShape(new Shape(3, 3)).build())
                .add(BatchNorm.builder().build())
                .add(new SequentialBlock().add(Linear.builder().setUnits(2).build()));
        block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 5, 5));
        Onnx.ModelProto model = OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 3, 5, 5).toModel();
        assertThat(model.getGraph().getInitializerList()).extracting(Onnx.TensorProto::getName)
                .contains("01Conv2d_weight", "01Conv2d_bias", "02BatchNorm_gamma", "02BatchNorm_beta",
                        "02BatchNorm_runningMean", "02BatchNorm_runningVar", "03SequentialBlock_01Linear_weight",
                        "03SequentialBlock_01Linear_bias");
    }

    @Test
    void workOnConstantsFoldsIntoOneInitializer() throws Exception {
        Block block = new LambdaBlock(x -> {
            NDManager arrays = x.head().getManager();
            NDArray table = arrays.arange(12).toType(DataType.FLOAT32, false).reshape(4, 3).mul(0.5f).sum(new int[] {0});
            return new NDList(x.head().add(table));
        });
        Onnx.ModelProto model = OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 3).toModel();
        assertThat(opTypes(model)).containsExactly("Add");
        assertThat(model.getGraph().getInitializerList()).singleElement()
                .satisfies(t -> assertThat(t.getDimsList()).containsExactly(3L));
        ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,3").batches(1, 7).run(dir);
    }

    @Test
    void aConstantSizedByADynamicDimensionIsComputed() throws Exception {
        Block block = new LambdaBlock(x -> {
            NDArray in = x.head();
            NDArray positions = in.getManager().arange((int) in.getShape().get(0)).toType(DataType.FLOAT32, false);
            NDArray ones = in.getManager().ones(new Shape(in.getShape().get(0), 3));
            return new NDList(in.add(positions.reshape(-1, 1)).add(ones));
        });
        Onnx.ModelProto model = OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 3).toModel();
        assertThat(opTypes(model)).contains("Range", "ConstantOfShape");
        ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,3").batches(1, 7).run(dir);
    }

    @Test
    void dropoutDisappearsAtInference() throws Exception {
        Block block = new SequentialBlock().add(Linear.builder().setUnits(6).build())
                .add(Dropout.builder().optRate(0.5f).build()).add(Linear.builder().setUnits(2).build());
        block.setInitializer(new NormalInitializer(), Parameter.Type.WEIGHT);
        block.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
        Onnx.ModelProto model = OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 4).toModel();
        assertThat(opTypes(model)).containsExactly("Gemm", "Gemm");
        ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,4").batches(1, 7).run(dir);
    }
}
