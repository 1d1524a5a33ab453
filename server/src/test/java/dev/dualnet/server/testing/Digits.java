package dev.dualnet.server.testing;

import dev.dualnet.parity.ParityBundle;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/** Real MNIST digits and the trained model's expected outputs, from the seed model's parity bundle. */
public final class Digits {
    private final ParityBundle bundle;

    private Digits(ParityBundle bundle) {
        this.bundle = bundle;
    }

    public static Digits load() throws IOException {
        return new Digits(ParityBundle.read(TestServer.seedEntry().resolve("1").resolve("parity")));
    }

    public int count() {
        return bundle.count();
    }

    public float[] image(int i) {
        return Arrays.copyOfRange(((float[]) bundle.inputs().get("image").data()), i * 784, (i + 1) * 784);
    }

    public int number(int i) {
        return (int) ((long[]) bundle.inputs().get("number").data())[i];
    }

    /** The seed model's inputs for {@code rows} digits from digit {@code first} on: image and number. */
    public List<NamedTensor> inputs(int first, int rows) {
        float[] images = new float[rows * 784];
        long[] numbers = new long[rows];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(image(first + r), 0, images, r * 784, 784);
            numbers[r] = number(first + r);
        }
        return List.of(new NamedTensor("image", ElementType.FP32, new long[] {rows, 1, 28, 28}, images),
                new NamedTensor("number", ElementType.INT64, new long[] {rows}, numbers));
    }

    public float[] digitProbabilities(int i) {
        return Arrays.copyOfRange(((float[]) bundle.outputs().get("digit").data()), i * 10, (i + 1) * 10);
    }

    public float[] sumProbabilities(int i) {
        return Arrays.copyOfRange(((float[]) bundle.outputs().get("sum").data()), i * 19, (i + 1) * 19);
    }

    public int expectedDigit(int i) {
        return argMax(digitProbabilities(i));
    }

    public int expectedSum(int i) {
        return argMax(sumProbabilities(i));
    }

    /** The index of the largest value, the first one on ties. */
    public static int argMax(float[] values) {
        int best = 0;
        for (int k = 1; k < values.length; k++) {
            if (values[k] > values[best]) {
                best = k;
            }
        }
        return best;
    }
}
