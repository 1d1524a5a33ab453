package dev.dualnet.trainer.data;

import dev.dualnet.common.UserException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads MNIST's IDX files, raw or gzip-compressed, and checks that each is what it claims to be.
 *
 * <p>IDX layout: two zero bytes, a type byte (0x08 = unsigned byte), a dimension count, then one
 * big-endian int32 per dimension, then the data. Images are 3-D (count, rows, cols), labels 1-D.
 */
public final class IdxReader {
    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;
    static final int IMAGE_SIDE = 28;

    private IdxReader() {}

    /**
     * Reads an image file of 28x28 images.
     *
     * @throws UserException naming the file when it is missing, unreadable, truncated or not an
     *     IDX image file of 28x28 unsigned bytes
     */
    public static MnistImages readImages(Path file) {
        ByteBuffer data = ByteBuffer.wrap(readBytes(file));
        checkHeader(file, data, IMAGES_MAGIC, "image", 16);
        int count = data.getInt();
        int rows = data.getInt();
        int cols = data.getInt();
        if (count < 0 || rows != IMAGE_SIDE || cols != IMAGE_SIDE) {
            throw new UserException(file + ": images are " + count + " x " + rows + " x " + cols
                    + ", expected N x 28 x 28");
        }
        byte[] pixels = payload(file, data, (long) count * rows * cols);
        return new MnistImages(count, rows, cols, pixels);
    }

    /**
     * Reads a label file and checks every label is a digit 0..9.
     *
     * @throws UserException naming the file when it is missing, unreadable, truncated, not an IDX
     *     label file, or holds a label outside 0..9
     */
    public static MnistLabels readLabels(Path file) {
        ByteBuffer data = ByteBuffer.wrap(readBytes(file));
        checkHeader(file, data, LABELS_MAGIC, "label", 8);
        int count = data.getInt();
        if (count < 0) {
            throw new UserException(file + ": negative label count " + count);
        }
        byte[] labels = payload(file, data, count);
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] > 9) {
                throw new UserException(file + ": label " + i + " is " + (labels[i] & 0xFF) + ", expected a digit 0..9");
            }
        }
        return new MnistLabels(labels);
    }

    private static void checkHeader(Path file, ByteBuffer data, int expectedMagic, String kind, int headerBytes) {
        if (data.remaining() < Integer.BYTES) {
            throw new UserException(file + ": " + data.remaining() + " bytes is too short for an IDX " + kind + " file");
        }
        int magic = data.getInt(0);
        if (magic != expectedMagic) {
            throw new UserException(String.format(
                    "%s: magic number 0x%08x, expected 0x%08x for an IDX %s file", file, magic, expectedMagic, kind));
        }
        if (data.remaining() < headerBytes) {
            throw new UserException(file + ": " + data.remaining() + " bytes is too short for an IDX " + kind
                    + " file header of " + headerBytes + " bytes");
        }
        data.getInt();
    }

    private static byte[] payload(Path file, ByteBuffer data, long expectedBytes) {
        if (data.remaining() != expectedBytes) {
            throw new UserException(file + ": " + data.remaining() + " data bytes after the header, expected "
                    + expectedBytes + (data.remaining() < expectedBytes ? " (file truncated?)" : " (trailing bytes)"));
        }
        byte[] out = new byte[(int) expectedBytes];
        data.get(out);
        return out;
    }

    private static byte[] readBytes(Path file) {
        try (InputStream raw = Files.newInputStream(file)) {
            byte[] head = raw.readNBytes(2);
            boolean gzip = head.length == 2 && (head[0] & 0xFF) == 0x1f && (head[1] & 0xFF) == 0x8b;
            if (!gzip) {
                byte[] rest = raw.readAllBytes();
                byte[] all = new byte[head.length + rest.length];
                System.arraycopy(head, 0, all, 0, head.length);
                System.arraycopy(rest, 0, all, head.length, rest.length);
                return all;
            }
        } catch (NoSuchFileException e) {
            throw new UserException(file + ": file not found");
        } catch (IOException e) {
            throw new UserException(file + ": cannot read: " + e.getMessage(), e);
        }
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file), 1 << 16)) {
            return in.readAllBytes();
        } catch (EOFException e) {
            throw new UserException(file + ": gzip stream ends early (file truncated?)", e);
        } catch (ZipException e) {
            throw new UserException(file + ": corrupt gzip data: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UserException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
