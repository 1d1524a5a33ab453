package dev.dualnet.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.trainer.testing.IdxFiles;
import dev.dualnet.trainer.testing.RealMnist;
import dev.dualnet.trainer.util.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistSourceTest {
    @TempDir
    Path dir;

    @Test
    void loadsUsersOwnFilesAndRecordsTheirChecksums() throws Exception {
        MnistData data = MnistSource.userFiles(ownFiles(20, 20, 10, 10)).load();
        assertThat(data.train().size()).isEqualTo(20);
        assertThat(data.test().size()).isEqualTo(10);
        assertThat(data.checksums()).hasSize(4).allSatisfy((path, sha) -> assertThat(sha).hasSize(64));
    }

    @Test
    void labelCountMismatchNamesBothFiles() throws Exception {
        Map<MnistFile, Path> files = ownFiles(20, 19, 10, 10);
        assertThatThrownBy(() -> MnistSource.userFiles(files).load())
                .isInstanceOf(UserException.class)
                .hasMessageContaining("19 labels, expected 20")
                .hasMessageContaining(files.get(MnistFile.TRAIN_IMAGES).toString());
    }

    @Test
    void ownFilesNeedAllFour() {
        assertThatThrownBy(() -> MnistSource.userFiles(Map.of(MnistFile.TRAIN_IMAGES, dir.resolve("x"))))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("need all four");
    }

    @Test
    void fetchesOnlyWhenTheCacheIsMissing() throws Exception {
        Path cache = dir.resolve("cache");
        AtomicInteger fetches = new AtomicInteger();
        MnistFetcher copyReal = target -> {
            fetches.incrementAndGet();
            try {
                Files.createDirectories(target);
                for (MnistFile file : MnistFile.values()) {
                    Files.copy(RealMnist.cacheDir().resolve(file.fileName()), target.resolve(file.fileName()));
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        RealMnist.data(); // make sure the real cache exists
        MnistSource source = MnistSource.cached(cache, copyReal);
        assertThat(source.officialFiles()).hasSize(4);
        assertThat(source.officialFiles()).hasSize(4);
        assertThat(fetches).hasValue(1);
    }

    @Test
    void corruptCachedFileFailsItsChecksum() throws Exception {
        Path cache = dir.resolve("cache");
        for (MnistFile file : MnistFile.values()) {
            IdxFiles.write(cache.resolve(file.fileName()), new byte[] {1, 2, 3});
        }
        MnistSource source = MnistSource.cached(cache, target -> {
            throw new AssertionError("must not fetch over an existing cache");
        });
        assertThatThrownBy(source::load)
                .isInstanceOf(UserException.class)
                .hasMessageContaining("train-images-idx3-ubyte: SHA-256 ")
                .hasMessageContaining("expected " + MnistFile.TRAIN_IMAGES.sha256());
    }

    @Test
    void realMnistHasTheOfficialSplitSizes() {
        MnistData data = RealMnist.data();
        assertThat(data.train().size()).isEqualTo(60_000);
        assertThat(data.test().size()).isEqualTo(10_000);
        assertThat(data.checksums().values()).containsExactlyInAnyOrder(
                MnistFile.TRAIN_IMAGES.sha256(), MnistFile.TRAIN_LABELS.sha256(),
                MnistFile.TEST_IMAGES.sha256(), MnistFile.TEST_LABELS.sha256());
    }

    private Map<MnistFile, Path> ownFiles(int trainImages, int trainLabels, int testImages, int testLabels)
            throws Exception {
        return Map.of(
                MnistFile.TRAIN_IMAGES, IdxFiles.write(dir.resolve("ti.gz"), IdxFiles.gzip(IdxFiles.images(trainImages))),
                MnistFile.TRAIN_LABELS, IdxFiles.write(dir.resolve("tl"), IdxFiles.labels(trainLabels)),
                MnistFile.TEST_IMAGES, IdxFiles.write(dir.resolve("vi"), IdxFiles.images(testImages)),
                MnistFile.TEST_LABELS, IdxFiles.write(dir.resolve("vl"), IdxFiles.labels(testLabels)));
    }
}
