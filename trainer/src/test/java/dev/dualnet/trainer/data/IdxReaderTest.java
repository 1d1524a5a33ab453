package dev.dualnet.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.common.UserException;
import dev.dualnet.trainer.testing.IdxFiles;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir
    Path dir;

    @Test
    void readsRawImagesAndLabels() throws Exception {
        byte[] imageBytes = IdxFiles.images(3);
        Path images = IdxFiles.write(dir.resolve("images"), imageBytes);
        Path labels = IdxFiles.write(dir.resolve("labels"), IdxFiles.labels(3));

        MnistImages read = IdxReader.readImages(images);
        assertThat(read.count()).isEqualTo(3);
        assertThat(read.rows()).isEqualTo(28);
        assertThat(read.pixels()).isEqualTo(Arrays.copyOfRange(imageBytes, 16, imageBytes.length));
        assertThat(IdxReader.readLabels(labels).labels()).containsExactly(0, 1, 2);
    }

    @Test
    void readsGzippedFilesTheSameAsRaw() throws Exception {
        Path raw = IdxFiles.write(dir.resolve("raw"), IdxFiles.images(5));
        Path gz = IdxFiles.write(dir.resolve("images.gz"), IdxFiles.gzip(IdxFiles.images(5)));
        assertThat(IdxReader.readImages(gz).pixels()).isEqualTo(IdxReader.readImages(raw).pixels());
        Path labels = IdxFiles.write(dir.resolve("labels.gz"), IdxFiles.gzip(IdxFiles.labels(5)));
        assertThat(IdxReader.readLabels(labels).count()).isEqualTo(5);
    }

    @Test
    void rejectsWrongMagicNamingFileAndExpectation() throws Exception {
        Path labelsAsImages = IdxFiles.write(dir.resolve("swapped"), IdxFiles.labels(4));
        assertThatThrownBy(() -> IdxReader.readImages(labelsAsImages))
                .isInstanceOf(UserException.class)
                .hasMessageContaining(labelsAsImages.toString())
                .hasMessageContaining("magic number 0x00000801, expected 0x00000803");
    }

    @Test
    void rejectsTruncatedAndOverlongPayloads() throws Exception {
        byte[] full = IdxFiles.images(2);
        Path truncated = IdxFiles.write(dir.resolve("truncated"), Arrays.copyOf(full, full.length - 10));
        assertThatThrownBy(() -> IdxReader.readImages(truncated))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("expected 1568")
                .hasMessageContaining("truncated");
        Path longer = IdxFiles.write(dir.resolve("longer"), Arrays.copyOf(full, full.length + 1));
        assertThatThrownBy(() -> IdxReader.readImages(longer)).hasMessageContaining("trailing bytes");
        Path headerOnly = IdxFiles.write(dir.resolve("short"), new byte[] {0, 0, 8});
        assertThatThrownBy(() -> IdxReader.readImages(headerOnly)).hasMessageContaining("too short");
    }

    @Test
    void rejectsTruncatedGzip() throws Exception {
        byte[] gz = IdxFiles.gzip(IdxFiles.images(50));
        Path cut = IdxFiles.write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length / 2));
        assertThatThrownBy(() -> IdxReader.readImages(cut))
                .isInstanceOf(UserException.class)
                .hasMessageContaining(cut.toString())
                .hasMessageContaining("gzip");
    }

    @Test
    void rejectsImagesThatAreNot28By28() throws Exception {
        Path small = IdxFiles.write(dir.resolve("small"), IdxFiles.images(0x803, 1, 8, 8, new byte[64]));
        assertThatThrownBy(() -> IdxReader.readImages(small)).hasMessageContaining("expected N x 28 x 28");
    }

    @Test
    void rejectsLabelsOutsideZeroToNine() throws Exception {
        Path bad = IdxFiles.write(dir.resolve("bad"), IdxFiles.labels(0x801, new byte[] {3, 12}));
        assertThatThrownBy(() -> IdxReader.readLabels(bad)).hasMessageContaining("label 1 is 12");
    }

    @Test
    void missingFileIsNamed() {
        Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> IdxReader.readLabels(missing))
                .isInstanceOf(UserException.class)
                .hasMessage(missing + ": file not found");
    }
}
