package dev.dualnet.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void replacesTheTargetAndLeavesNoTemporaryFile() throws Exception {
        Path target = dir.resolve("sub").resolve("file.json");
        AtomicFiles.writeString(target, "one");
        AtomicFiles.writeString(target, "two");
        assertThat(target).hasContent("two");
        assertThat(files()).containsExactly(target);
    }

    @Test
    void aFailingWriterLeavesTheOldContentAndNoTemporaryFile() throws Exception {
        Path target = dir.resolve("sub").resolve("file.json");
        AtomicFiles.writeString(target, "complete");
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write("half".getBytes());
            throw new IOException("disk full");
        })).hasMessage("disk full");
        assertThat(target).hasContent("complete");
        assertThat(files()).containsExactly(target);
    }

    private java.util.List<Path> files() throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }
}
