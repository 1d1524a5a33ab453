package dev.dualnet.trainer.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files for tests, well-formed or deliberately broken. */
public final class IdxFiles {
    private IdxFiles() {}

    /** IDX image bytes: header (magic, count, rows, cols) then the pixels. */
    public static byte[] images(int magic, int count, int rows, int cols, byte[] pixels) {
        ByteBuffer buffer = ByteBuffer.allocate(16 + pixels.length);
        buffer.putInt(magic).putInt(count).putInt(rows).putInt(cols).put(pixels);
        return buffer.array();
    }

    /** Well-formed 28x28 images whose pixels encode their index, so tests can tell them apart. */
    public static byte[] images(int count) {
        byte[] pixels = new byte[count * 784];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) ((i / 784) * 7 + i % 13);
        }
        return images(0x803, count, 28, 28, pixels);
    }

    /** IDX label bytes: header (magic, count) then the labels. */
    public static byte[] labels(int magic, byte[] labels) {
        ByteBuffer buffer = ByteBuffer.allocate(8 + labels.length);
        buffer.putInt(magic).putInt(labels.length).put(labels);
        return buffer.array();
    }

    /** Well-formed labels 0, 1, ..., 9, 0, 1, ... */
    public static byte[] labels(int count) {
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) (i % 10);
        }
        return labels(0x801, labels);
    }

    public static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        }
        return bytes.toByteArray();
    }

    public static Path write(Path file, byte[] data) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        return Files.write(file, data);
    }
}
