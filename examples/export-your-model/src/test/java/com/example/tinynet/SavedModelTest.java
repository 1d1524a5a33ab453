package com.example.tinynet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.dualnet.junit.OnnxParity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model saved the DJL way, the directory {@code dualnet export --djl-model} reads: parameters
 * from {@code Model.save} and a {@code serving.properties} naming the block factory. Loaded back
 * through the factory, it still exports exactly.
 */
class SavedModelTest {
    @TempDir
    Path dir;

    @Test
    void aSavedModelLoadsThroughItsFactoryAndExportsExactly() throws IOException, MalformedModelException {
        Path modelDir = dir.resolve("tinynet");
        Files.createDirectories(modelDir);
        TinyNetFactory factory = new TinyNetFactory();
        try (Model model = Model.newInstance("tinynet")) {
            Block block = factory.newBlock(model, modelDir, Map.of());
            block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, 32, 32));
            model.setBlock(block);
            model.save(modelDir, "tinynet");
        }
        Files.writeString(modelDir.resolve("serving.properties"),
                "blockFactory=" + TinyNetFactory.class.getName() + "\n");

        assertThat(modelDir.resolve("tinynet-0000.params")).isRegularFile();
        try (Model loaded = Model.newInstance("tinynet");
                NDManager manager = NDManager.newBaseManager()) {
            loaded.setBlock(factory.newBlock(loaded, modelDir, Map.of()));
            loaded.load(modelDir);
            OnnxParity.assertThat(loaded.getBlock())
                    .withInput("image", manager.randomUniform(0, 1, new Shape(2, 3, 32, 32)))
                    .outputNames("logits")
                    .matchesWithin(1e-5);
        }
    }
}
