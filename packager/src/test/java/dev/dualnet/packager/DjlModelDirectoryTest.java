package dev.dualnet.packager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.common.UserException;
import dev.dualnet.packager.testing.SavedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way a model directory can be wrong is named in one line saying what is expected. */
class DjlModelDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void loadsWithTheFactoryFromTheDirectoryOnly() throws Exception {
        Path model = SavedModels.resnet(dir);
        assertThatThrownBy(() -> Class.forName("userzoo.ResNetFactory")).isInstanceOf(ClassNotFoundException.class);
        assertThatThrownBy(() -> Class.forName("ai.djl.basicmodelzoo.cv.classification.ResNetV1"))
                .isInstanceOf(ClassNotFoundException.class);
        DjlModelDirectory directory = DjlModelDirectory.open(model, List.of());
        assertThat(directory.blockFactory()).isEqualTo("userzoo.ResNetFactory");
        assertThat(directory.paramsFile().getFileName().toString()).isEqualTo("resnet-0000.params");
        try (DjlModelDirectory.Loaded loaded = directory.load()) {
            assertThat(loaded.block().getParameters().size()).isGreaterThan(50);
        }
    }

    @Test
    void aMissingDirectory() {
        assertThatThrownBy(() -> DjlModelDirectory.open(dir.resolve("nope"), List.of()))
                .isInstanceOf(UserException.class).hasMessageStartingWith("no model directory at ")
                .hasMessageEndingWith("expected a directory saved the DJL way (NAME-NNNN.params and"
                        + " serving.properties naming blockFactory=<class>)");
    }

    @Test
    void aTorchScriptModel() throws Exception {
        Path model = Files.createDirectories(dir.resolve("traced"));
        Files.write(model.resolve("traced.pt"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> DjlModelDirectory.open(model, List.of())).isInstanceOf(UserException.class)
                .hasMessageContaining("holds a TorchScript model (traced.pt) and no blockFactory")
                .hasMessageContaining("cannot be exported from Java");
    }

    @Test
    void noFactoryNamed() throws Exception {
        Path model = Files.createDirectories(dir.resolve("plain"));
        assertThatThrownBy(() -> DjlModelDirectory.open(model, List.of())).isInstanceOf(UserException.class)
                .hasMessageContaining("has no serving.properties naming blockFactory=<class>");
    }

    @Test
    void aFactoryThatIsNotThere() throws Exception {
        Path model = SavedModels.lstm(dir);
        Files.writeString(model.resolve("serving.properties"), "blockFactory=userzoo.Missing\n");
        assertThatThrownBy(() -> DjlModelDirectory.open(model, List.of())).isInstanceOf(UserException.class)
                .hasMessageContaining("blockFactory userzoo.Missing is not in ")
                .hasMessageContaining("put the factory's compiled classes there");
    }

    @Test
    void aFactoryWhoseLibraryIsMissing() throws Exception {
        Path model = SavedModels.resnet(dir);
        Files.delete(model.resolve("model-zoo.jar"));
        DjlModelDirectory withoutJar = DjlModelDirectory.open(model, List.of());
        assertThatThrownBy(withoutJar::load).isInstanceOf(UserException.class)
                .hasMessageContaining("blockFactory userzoo.ResNetFactory needs class")
                .hasMessageContaining("add the jar that holds it");
        DjlModelDirectory withJar = DjlModelDirectory.open(model, List.of(SavedModels.modelZooJar()));
        try (DjlModelDirectory.Loaded loaded = withJar.load()) {
            assertThat(loaded.block()).isNotNull();
        }
    }

    @Test
    void parametersUnderAnotherName() throws Exception {
        Path model = SavedModels.lstm(dir);
        Path renamed = Files.move(model, dir.resolve("recurrent"));
        assertThatThrownBy(() -> DjlModelDirectory.open(renamed, List.of())).isInstanceOf(UserException.class)
                .hasMessageContaining("holds lstm-0000.params, but DJL loads recurrent-NNNN.params from a directory"
                        + " named recurrent");
    }

    @Test
    void noParametersAtAll() throws Exception {
        Path model = SavedModels.lstm(dir);
        Files.delete(model.resolve("lstm-0000.params"));
        assertThatThrownBy(() -> DjlModelDirectory.open(model, List.of())).isInstanceOf(UserException.class)
                .hasMessageContaining("has no parameters: expected lstm-NNNN.params");
    }
}
