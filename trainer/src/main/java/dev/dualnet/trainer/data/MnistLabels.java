package dev.dualnet.trainer.data;

/**
 * Class labels, one byte each.
 *
 * @param labels values in 0..9
 */
public record MnistLabels(byte[] labels) {
    public int count() {
        return labels.length;
    }

    public int get(int index) {
        return labels[index];
    }
}
