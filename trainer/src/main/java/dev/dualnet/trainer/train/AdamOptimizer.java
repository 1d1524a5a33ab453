package dev.dualnet.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dualnet.trainer.model.PackedParameters;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Adam over a model's packed parameters, whose moment estimates and step count can be saved and
 * restored bit for bit.
 *
 * <p>DJL's own {@code Adam} keeps its state private, so a resumed run could not continue the same
 * trajectory; it also updates one parameter at a time, a dozen engine calls each. This class keeps the
 * moments as two tensors laid out like the {@link PackedParameters} and applies the engine's fused
 * Adam kernel to all the parameters at once. The saved state stays keyed by parameter path (stable
 * across processes, unlike parameter ids).
 */
public final class AdamOptimizer {
    private static final int FORMAT = 1;

    private final PackedParameters parameters;
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final float weightDecay;
    private final NDArray mean;
    private final NDArray variance;
    private long step;

    public AdamOptimizer(PackedParameters parameters, float beta1, float beta2, float epsilon, float weightDecay) {
        this.parameters = parameters;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        NDManager manager = parameters.parameter(0).getArray().getManager();
        Shape shape = new Shape(parameters.size());
        this.mean = manager.zeros(shape, DataType.FLOAT32);
        this.variance = manager.zeros(shape, DataType.FLOAT32);
    }

    /** Standard Adam (beta1 0.9, beta2 0.999, epsilon 1e-8) over a model's packed parameters. */
    public static AdamOptimizer withWeightDecay(PackedParameters parameters, float weightDecay) {
        return new AdamOptimizer(parameters, 0.9f, 0.999f, 1e-8f, weightDecay);
    }

    /** The parameters this optimizer updates. */
    public PackedParameters parameters() {
        return parameters;
    }

    /** Number of updates applied so far. */
    public long step() {
        return step;
    }

    /**
     * Applies one update to every parameter with one call of the engine's fused Adam kernel over their
     * concatenated gradients, then clears the gradients.
     *
     * @param learningRate the learning rate for this step
     */
    public void update(float learningRate) {
        step++;
        double biasCorrection1 = 1.0 - Math.pow(beta1, step);
        double biasCorrection2 = 1.0 - Math.pow(beta2, step);
        float correctedRate = (float) (learningRate * Math.sqrt(biasCorrection2) / biasCorrection1);
        try (NDManager scope = mean.getManager().newSubManager()) {
            NDList gradients = new NDList(parameters.count());
            for (int i = 0; i < parameters.count(); i++) {
                NDArray gradient = parameters.parameter(i).getArray().getGradient();
                gradient.attach(scope);
                gradients.add(gradient.reshape(-1));
            }
            NDArray gradient = gradients.size() == 1 ? gradients.get(0) : NDArrays.concat(gradients);
            NDArray values = parameters.values();
            values.getNDArrayInternal().adamUpdate(
                    new NDList(values, gradient, mean, variance),
                    new NDList(values),
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
        for (int i = 0; i < parameters.count(); i++) {
            EngineAutograd.clearGradient(parameters.parameter(i).getArray());
        }
    }

    /** Parameter {@code index}'s range of a packed moment tensor, shaped like the parameter. */
    private NDArray momentOf(NDArray moment, int index) {
        return moment.get(parameters.elements(index)).reshape(parameters.parameter(index).getArray().getShape());
    }

    /**
     * Writes the step count and moment estimates.
     *
     * @throws IOException if the stream fails
     */
    public void save(DataOutputStream out) throws IOException {
        out.writeInt(FORMAT);
        out.writeLong(step);
        out.writeInt(parameters.count());
        for (int i = 0; i < parameters.count(); i++) {
            out.writeUTF(parameters.name(i));
            for (NDArray moment : new NDArray[] {mean, variance}) {
                try (NDArray ofParameter = momentOf(moment, i)) {
                    byte[] encoded = ofParameter.encode();
                    out.writeInt(encoded.length);
                    out.write(encoded);
                }
            }
        }
    }

    /**
     * Replaces the state with one written by {@link #save} for the same parameters.
     *
     * @throws IOException if the stream fails, was not written by {@link #save}, or holds state for
     *     other parameters
     */
    public void load(DataInputStream in, NDManager manager) throws IOException {
        int format = in.readInt();
        if (format != FORMAT) {
            throw new IOException("optimizer state format " + format + ", expected " + FORMAT);
        }
        long savedStep = in.readLong();
        int count = in.readInt();
        if (count != parameters.count()) {
            throw new IOException("optimizer state for " + count + " parameters, expected " + parameters.count());
        }
        for (int i = 0; i < count; i++) {
            String name = in.readUTF();
            if (!name.equals(parameters.name(i))) {
                throw new IOException("optimizer state for parameter '" + name + "', expected '"
                        + parameters.name(i) + "'");
            }
            NDIndex range = parameters.elements(i);
            long length = parameters.length(i);
            for (NDArray moment : new NDArray[] {mean, variance}) {
                byte[] encoded = new byte[in.readInt()];
                in.readFully(encoded);
                try (NDArray saved = manager.decode(encoded); NDArray flat = saved.reshape(-1)) {
                    if (flat.size() != length) {
                        throw new IOException("optimizer state for '" + name + "' has " + flat.size()
                                + " values, expected " + length);
                    }
                    moment.set(range, flat);
                }
            }
        }
        step = savedStep;
    }
}
