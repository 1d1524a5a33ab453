package dev.dualnet.trainer.data;

/**
 * Grayscale images as unsigned bytes, row-major, one image after another.
 *
 * @param count number of images
 * @param rows pixel rows per image
 * @param cols pixel columns per image
 * @param pixels {@code count * rows * cols} bytes, 0 (background) to 255 (ink)
 */
public record MnistImages(int count, int rows, int cols, byte[] pixels) {
    public MnistImages {
        if ((long) count * rows * cols != pixels.length) {
            throw new IllegalArgumentException("pixel buffer has " + pixels.length + " bytes, expected "
                    + count + " x " + rows + " x " + cols);
        }
    }

    public int pixelsPerImage() {
        return rows * cols;
    }
}
