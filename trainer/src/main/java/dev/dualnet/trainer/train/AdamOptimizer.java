package dev.dualnet.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam whose moment estimates and step count can be saved and restored bit for bit.
 *
 * <p>DJL's own {@code Adam} keeps its state private, so a resumed run could not continue the same
 * trajectory. This class keeps the state keyed by parameter path (stable across processes, unlike
 * parameter ids) and applies the engine's fused Adam kernel, which also clears the gradient.
 */
public final class AdamOptimizer {
    private static final int FORMAT = 1;

    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final float weightDecay;
    private final Map<String, NDArray[]> moments = new LinkedHashMap<>();
    private long step;

    public AdamOptimizer(float beta1, float beta2, float epsilon, float weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
    }

    /** Standard Adam: beta1 0.9, beta2 0.999, epsilon 1e-8. */
    public static AdamOptimizer withWeightDecay(float weightDecay) {
        return new AdamOptimizer(0.9f, 0.999f, 1e-8f, weightDecay);
    }

    /** Number of updates applied so far. */
    public long step() {
        return step;
    }

    /**
     * Applies one update to every trainable parameter with a gradient.
     *
     * @param parameters the block's parameters by path
     * @param learningRate the learning rate for this step
     */
    public void update(PairList<String, Parameter> parameters, float learningRate) {
        step++;
        double biasCorrection1 = 1.0 - Math.pow(beta1, step);
        double biasCorrection2 = 1.0 - Math.pow(beta2, step);
        float correctedRate = (float) (learningRate * Math.sqrt(biasCorrection2) / biasCorrection1);
        for (Pair<String, Parameter> entry : parameters) {
            Parameter parameter = entry.getValue();
            if (!parameter.requiresGradient()) {
                continue;
            }
            NDArray weight = parameter.getArray();
            NDArray[] state = moments.computeIfAbsent(entry.getKey(), k -> newState(weight));
            // getGradient() returns a new handle on the shared gradient; close it so handles don't pile up.
            try (NDArray gradient = weight.getGradient()) {
                weight.getNDArrayInternal().adamUpdate(
                    new NDList(weight, gradient, state[0], state[1]),
                    new NDList(weight),
                    learningRate,
                    correctedRate,
                    weightDecay,
                    1f,
                    -1f,
                    beta1,
                    beta2,
                    epsilon,
                    true,
                    false);
            }
        }
    }

    private static NDArray[] newState(NDArray weight) {
        NDArray mean = weight.zerosLike();
        NDArray variance = weight.zerosLike();
        mean.attach(weight.getManager());
        variance.attach(weight.getManager());
        return new NDArray[] {mean, variance};
    }

    /**
     * Writes the step count and moment estimates.
     *
     * @throws IOException if the stream fails
     */
    public void save(DataOutputStream out) throws IOException {
        out.writeInt(FORMAT);
        out.writeLong(step);
        out.writeInt(moments.size());
        for (Map.Entry<String, NDArray[]> entry : moments.entrySet()) {
            out.writeUTF(entry.getKey());
            for (NDArray moment : entry.getValue()) {
                byte[] encoded = moment.encode();
                out.writeInt(encoded.length);
                out.write(encoded);
            }
        }
    }

    /**
     * Replaces the state with one written by {@link #save}.
     *
     * @throws IOException if the stream fails or was not written by {@link #save}
     */
    public void load(DataInputStream in, NDManager manager) throws IOException {
        int format = in.readInt();
        if (format != FORMAT) {
            throw new IOException("optimizer state format " + format + ", expected " + FORMAT);
        }
        step = in.readLong();
        int count = in.readInt();
        moments.clear();
        for (int i = 0; i < count; i++) {
            String name = in.readUTF();
            NDArray[] state = new NDArray[2];
            for (int m = 0; m < state.length; m++) {
                byte[] encoded = new byte[in.readInt()];
                in.readFully(encoded);
                state[m] = manager.decode(encoded);
            }
            moments.put(name, state);
        }
    }
}
