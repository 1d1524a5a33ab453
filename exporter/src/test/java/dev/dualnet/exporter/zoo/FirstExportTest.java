package dev.dualnet.exporter.zoo;

import ai.djl.basicmodelzoo.basic.Mlp;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.nn.Parameter;
import dev.dualnet.exporter.testing.ExportCheck;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FirstExportTest {
    @TempDir
    Path dir;

    @Test
    void mlp() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = new Mlp(20, 5, new int[] {16, 8}, Activation::relu);
            block.setInitializer(new NormalInitializer(), Parameter.Type.WEIGHT);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, 20));
            ExportCheck.Result result = ExportCheck.of(block, manager).input("data", DataType.FLOAT32, "N,20")
                    .batches(1, 7).run(dir);
            System.out.println(result); java.nio.file.Files.copy(result.model(), Path.of("/tmp/mlp.onnx"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
