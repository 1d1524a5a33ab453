package dev.dualnet.server.testing;

import dev.dualnet.parity.ParityBundle;
import java.io.IOException;
import java.util.Arrays;

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

    private static int argMax(float[] values) {
        int best = 0;
        for (int k = 1; k < values.length; k++) {
            if (values[k] > values[best]) {
                best = k;
            }
        }
        return best;
    }
}
