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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam whose moment estimates and step count can be saved and restored bit for bit.
 *
 * <p>DJL's own {@code Adam} keeps its state private, so a resumed run could not continue the same
 * trajectory. This class keeps the state keyed by parameter path (stable across processes, unlike
 * parameter ids) and applies the engine's fused Adam kernel, which also clears the gradient. An update
 * can be split by parameter across threads ({@link #begin} then {@link #update(Pair, Step)}).
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
     * Applies one update to every trainable parameter with a gradient, on the calling thread.
     *
     * @param parameters the block's parameters by path
     * @param learningRate the learning rate for this step
     */
    public void update(PairList<String, Parameter> parameters, float learningRate) {
        Step step = begin(parameters, learningRate);
        for (Pair<String, Parameter> entry : step.parameters()) {
            update(entry, step);
        }
    }

    /**
     * Starts an update: advances the step count and sets up state for parameters seen for the first
     * time. The returned step's parameters are then updated with {@link #update(Pair, Step)}, each
     * exactly once, on any threads.
     *
     * @param parameters the block's parameters by path
     * @param learningRate the learning rate for this step
     */
    public Step begin(PairList<String, Parameter> parameters, float learningRate) {
        step++;
        double biasCorrection1 = 1.0 - Math.pow(beta1, step);
        double biasCorrection2 = 1.0 - Math.pow(beta2, step);
        float correctedRate = (float) (learningRate * Math.sqrt(biasCorrection2) / biasCorrection1);
        List<Pair<String, Parameter>> trainable = new ArrayList<>();
        for (Pair<String, Parameter> entry : parameters) {
            if (entry.getValue().requiresGradient()) {
                moments.computeIfAbsent(entry.getKey(), k -> newState(entry.getValue().getArray()));
                trainable.add(entry);
            }
        }
        return new Step(List.copyOf(trainable), learningRate, correctedRate);
    }

    /**
     * Updates one parameter of a started step with the engine's fused Adam kernel, which also clears
     * its gradient. Different parameters may be updated concurrently: each has its own state.
     */
    public void update(Pair<String, Parameter> entry, Step step) {
        NDArray weight = entry.getValue().getArray();
        NDArray[] state = moments.get(entry.getKey());
        // getGradient() returns a new handle on the shared gradient; close it so handles don't pile up.
        try (NDArray gradient = weight.getGradient()) {
            weight.getNDArrayInternal().adamUpdate(
                new NDList(weight, gradient, state[0], state[1]),
                new NDList(weight),
                step.learningRate(),
                step.correctedRate(),
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

    /**
     * One update's settings and the parameters it covers.
     *
     * @param parameters the trainable parameters by path, each to be updated once
     * @param learningRate the scheduled learning rate
     * @param correctedRate the learning rate with Adam's bias correction for this step count
     */
    public record Step(List<Pair<String, Parameter>> parameters, float learningRate, float correctedRate) {}

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
