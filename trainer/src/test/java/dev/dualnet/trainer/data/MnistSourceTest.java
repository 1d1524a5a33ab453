package dev.dualnet.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.common.UserException;
import dev.dualnet.trainer.testing.IdxFiles;
import dev.dualnet.trainer.testing.RealMnist;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistSourceTest {
    @TempDir
    Path dir;

    /** The sets of files each fetch was asked for, in order. */
    private final List<Set<MnistFile>> fetchRequests = new ArrayList<>();

    /** A fetcher that copies the wanted files from the real cache, as the npm fetcher would publish them. */
    private final MnistFetcher copyOfRealMnist = (target, wanted) -> {
        fetchRequests.add(EnumSet.copyOf(wanted));
        copyReal(target, wanted);
    };

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
    void ownTestFilesAloneServeEvaluationButNotTraining() throws Exception {
        Map<MnistFile, Path> all = ownFiles(20, 20, 10, 10);
        MnistSource testOnly = MnistSource.userFiles(Map.of(
                MnistFile.TEST_IMAGES, all.get(MnistFile.TEST_IMAGES), MnistFile.TEST_LABELS, all.get(MnistFile.TEST_LABELS)));
        assertThat(testOnly.loadTest().size()).isEqualTo(10);
        assertThatThrownBy(testOnly::load)
                .isInstanceOf(UserException.class)
                .hasMessage("training needs own training files too: --train-images and --train-labels, besides "
                        + "--test-images and --test-labels");
        assertThat(MnistSource.userFiles(all).loadTest().size()).isEqualTo(10);
    }

    @Test
    void ownFilesNeedAllFour() {
        assertThatThrownBy(() -> MnistSource.userFiles(Map.of(MnistFile.TRAIN_IMAGES, dir.resolve("x"))))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("need all four");
    }

    @Test
    void fetchesOnlyWhenTheCacheIsMissing() {
        Path cache = dir.resolve("cache");
        MnistSource source = MnistSource.cached(cache, copyOfRealMnist);
        assertThat(source.officialFiles()).hasSize(4);
        assertThat(source.officialFiles()).hasSize(4);
        assertThat(fetchRequests).containsExactly(EnumSet.allOf(MnistFile.class));
    }

    @Test
    void anExistingDirectoryWithOtherFilesIsFilledNotRefused() throws Exception {
        Path cache = Files.createDirectory(dir.resolve("datasets"));
        Path notes = Files.writeString(cache.resolve("notes.txt"), "mine");
        Map<MnistFile, Path> files = MnistSource.cached(cache, copyOfRealMnist).officialFiles();
        assertThat(files).containsEntry(MnistFile.TEST_LABELS, cache.resolve("t10k-labels-idx1-ubyte"));
        assertThat(fetchRequests).containsExactly(EnumSet.allOf(MnistFile.class));
        assertThat(notes).hasContent("mine");
    }

    @Test
    void aPartialCacheFetchesOnlyTheMissingFiles() throws Exception {
        Path cache = Files.createDirectory(dir.resolve("cache"));
        copyReal(cache, EnumSet.of(MnistFile.TRAIN_IMAGES, MnistFile.TEST_LABELS));
        assertThat(MnistSource.cached(cache, copyOfRealMnist).officialFiles()).hasSize(4);
        assertThat(fetchRequests).containsExactly(EnumSet.of(MnistFile.TRAIN_LABELS, MnistFile.TEST_IMAGES));
    }

    @Test
    void corruptCachedFileFailsItsChecksumBeforeAnythingIsFetched() throws Exception {
        Path cache = dir.resolve("cache");
        IdxFiles.write(cache.resolve(MnistFile.TRAIN_IMAGES.fileName()), new byte[] {1, 2, 3});
        MnistSource source = MnistSource.cached(cache, (target, wanted) -> {
            throw new AssertionError("must not fetch while a cached file is wrong");
        });
        assertThatThrownBy(source::load)
                .isInstanceOf(UserException.class)
                .hasMessageStartingWith(cache.resolve("train-images-idx3-ubyte") + ": SHA-256 ")
                .hasMessageContaining("expected " + MnistFile.TRAIN_IMAGES.sha256())
                .hasMessageEndingWith("delete this file to fetch it again");
    }

    @Test
    void aCachePathThatIsAFileIsAClearError() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("mnist"), "x");
        assertThatThrownBy(() -> MnistSource.cached(notADirectory, copyOfRealMnist).officialFiles())
                .isInstanceOf(UserException.class)
                .hasMessage(notADirectory + ": not a directory; the MNIST cache (--data-dir, $DUALNET_DATA_DIR) "
                        + "must be a directory, or a path that does not exist yet");
        assertThat(fetchRequests).isEmpty();
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

    private static void copyReal(Path target, Set<MnistFile> files) {
        RealMnist.data(); // make sure the real cache exists
        try {
            Files.createDirectories(target);
            for (MnistFile file : files) {
                Files.copy(RealMnist.cacheDir().resolve(file.fileName()), target.resolve(file.fileName()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
