package dev.dualnet.trainer.data;

/** Images with their digit labels; both hold the same number of samples. */
public record MnistSplit(MnistImages images, MnistLabels labels) {
    public MnistSplit {
        if (images.count() != labels.count()) {
            throw new IllegalArgumentException(images.count() + " images but " + labels.count() + " labels");
        }
    }

    public int size() {
        return images.count();
    }

    /** The first {@code n} samples, or all of them when {@code n} is not smaller than the size. */
    public MnistSplit head(int n) {
        if (n >= size()) {
            return this;
        }
        int pixels = images.pixelsPerImage();
        byte[] headPixels = java.util.Arrays.copyOf(images.pixels(), n * pixels);
        byte[] headLabels = java.util.Arrays.copyOf(labels.labels(), n);
        return new MnistSplit(new MnistImages(n, images.rows(), images.cols(), headPixels), new MnistLabels(headLabels));
    }
}
