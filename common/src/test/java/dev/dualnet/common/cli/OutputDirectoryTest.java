package dev.dualnet.common.cli;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.common.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void anExistingDirectoryOrOneThatCanBeMadePasses() {
        assertThatCode(() -> OutputDirectory.requireCreatable(dir, "--out")).doesNotThrowAnyException();
        assertThatCode(() -> OutputDirectory.requireCreatable(dir.resolve("a/b/c"), "--out")).doesNotThrowAnyException();
        assertThatCode(() -> OutputDirectory.requireCreatable(Path.of("relative", "dir"), "--out"))
                .doesNotThrowAnyException();
    }

    @Test
    void aFileInTheWayNamesTheOptionAndTheFile() throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "x");
        assertThatThrownBy(() -> OutputDirectory.requireCreatable(file, "--run-dir"))
                .isInstanceOf(UserException.class)
                .hasMessage("--run-dir " + file + ": is a file, expected a directory");
        assertThatThrownBy(() -> OutputDirectory.requireCreatable(file.resolve("m/1"), "--out"))
                .isInstanceOf(UserException.class)
                .hasMessage("--out " + file.resolve("m/1") + ": " + file + " is a file, expected a directory");
    }
}
