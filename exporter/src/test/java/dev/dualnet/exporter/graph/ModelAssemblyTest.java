package dev.dualnet.exporter.graph;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import dev.dualnet.exporter.ExportedModel;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.onnx.proto.Onnx;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file an export streams is the model it holds in memory, however often either is taken. */
class ModelAssemblyTest {
    @TempDir
    Path dir;

    @Test
    void streamedFileParsesToTheInMemoryModel() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = new SequentialBlock()
                    .add(Conv2d.builder().setFilters(3).setKernelShape(new Shape(3, 3)).build())
                    .add(ai.djl.nn.Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(2).build());
            block.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 6, 6));
            try (ExportedModel exported = OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 1, 6, 6)
                    .output("y").metadata("k", "v").export()) {
                Onnx.ModelProto first = exported.model();
                Path file = dir.resolve("model.onnx");
                assertThat(exported.write(file)).isNull();
                Onnx.ModelProto streamed = Onnx.ModelProto.parseFrom(Files.readAllBytes(file));
                assertThat(streamed).isEqualTo(first);
                assertThat(exported.model()).isEqualTo(first);
                assertThat(first.getGraph().getOutput(0).getName()).isEqualTo("y");
                assertThat(first.getGraph().getNodeList()).extracting(Onnx.NodeProto::getOpType)
                        .containsExactly("Conv", "Flatten", "Gemm");
                assertThat(Files.getPosixFilePermissions(file).toString()).contains("OTHERS_READ");
            }
        }
    }
}
