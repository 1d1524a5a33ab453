package dev.dualnet.trainer.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.PairList;
import dev.dualnet.trainer.engine.PyTorchEngine;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link DualNetBlock} with its parameters, living in its own native memory scope on one device.
 * Close it to free that memory.
 */
public final class DualNetModel implements AutoCloseable {
    private final Preset preset;
    private final NDManager manager;
    private final DualNetBlock block;
    private final List<InputConv2d> inputConvolutions;
    /** Replaced whenever the parameters' arrays are: it keeps the arrays it handed out. */
    private ParameterStore parameterStore;
    private PackedParameters packed;

    private DualNetModel(Preset preset, NDManager manager, DualNetBlock block) {
        this.preset = preset;
        this.manager = manager;
        this.block = block;
        this.inputConvolutions = new ArrayList<>();
        collectInputConvolutions(block, inputConvolutions);
        this.parameterStore = new ParameterStore(manager, false);
    }

    /**
     * Builds a preset's network on a device and initialises its weights from the engine's generator,
     * which the caller seeds: He-uniform weights (suited to ReLU), zero biases.
     */
    public static DualNetModel create(Preset preset, Device device) {
        NDManager manager = PyTorchEngine.get().newBaseManager(device);
        try {
            DualNetBlock block = preset.build();
            block.setInitializer(
                    new XavierInitializer(XavierInitializer.RandomType.UNIFORM, XavierInitializer.FactorType.IN, 6),
                    Parameter.Type.WEIGHT);
            block.initialize(manager, DataType.FLOAT32, Preset.IMAGE_SHAPE, Preset.NUMBER_SHAPE);
            attachGradients(block);
            return new DualNetModel(preset, manager, block);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public Preset preset() {
        return preset;
    }

    public DualNetBlock block() {
        return block;
    }

    public NDManager manager() {
        return manager;
    }

    public Device device() {
        return manager.getDevice();
    }

    /**
     * True if the network has batch norm, whose training-mode forward pass depends on the whole
     * batch and updates running statistics in place.
     */
    public boolean hasBatchNorm() {
        return containsBatchNorm(block);
    }

    private static boolean containsBatchNorm(Block block) {
        if (block instanceof BatchNorm) {
            return true;
        }
        for (Block child : block.getChildren().values()) {
            if (containsBatchNorm(child)) {
                return true;
            }
        }
        return false;
    }

    /** Parameters by their path in the block tree, in a stable order. */
    public PairList<String, Parameter> parameters() {
        return block.getParameters();
    }

    /** Number of trainable scalars. */
    public long parameterCount() {
        long total = 0;
        for (Parameter parameter : block.getParameters().values()) {
            if (parameter.requiresGradient()) {
                total += parameter.getArray().size();
            }
        }
        return total;
    }

    /**
     * Runs the network. After a training forward, the backward pass of its loss must be followed by
     * adding {@link #deferredGradients()} to the parameters' gradients, or the first convolution gets
     * no gradient.
     *
     * @param inputs image float32 [N,1,28,28] and number int64 [N]
     * @param training true to use batch statistics and record the graph for gradients
     * @return digit logits [N,10] and sum logits [N,19]
     */
    public NDList forward(NDList inputs, boolean training) {
        return block.forward(parameterStore, inputs, training);
    }

    /**
     * After the backward pass of a loss from a training {@link #forward}: the parts of the parameters'
     * gradient that the network's {@link InputConv2d} blocks computed themselves, to be added to the
     * parameters' accumulated gradients; empty when none did.
     */
    public List<ParameterGradient> deferredGradients() {
        List<ParameterGradient> gradients = new ArrayList<>();
        for (InputConv2d convolution : inputConvolutions) {
            gradients.addAll(convolution.deferredGradients());
        }
        return gradients;
    }

    private static void collectInputConvolutions(Block block, List<InputConv2d> found) {
        if (block instanceof InputConv2d convolution) {
            found.add(convolution);
        }
        for (Block child : block.getChildren().values()) {
            collectInputConvolutions(child, found);
        }
    }

    /**
     * Writes all parameters, batch-norm running statistics included, in DJL's parameter format.
     *
     * @throws IOException if the stream fails
     */
    public void saveParameters(DataOutputStream out) throws IOException {
        block.saveParameters(out);
    }

    /**
     * Replaces all parameters with ones written by {@link #saveParameters}.
     *
     * @throws IOException if the stream fails
     * @throws MalformedModelException if the data does not fit this preset's structure
     * @throws IllegalStateException if the parameters were already packed
     */
    public void loadParameters(DataInputStream in) throws IOException, MalformedModelException {
        if (packed != null) {
            throw new IllegalStateException("the parameters are packed for training; load them before packing");
        }
        block.loadParameters(manager, in);
        attachGradients(block);
        parameterStore = new ParameterStore(manager, false);
    }

    /**
     * Packs the trainable parameters into one contiguous tensor (see {@link PackedParameters}); the
     * first call packs, later ones return the same packing. Load saved parameters before this.
     */
    public PackedParameters packParameters() {
        if (packed == null) {
            packed = PackedParameters.pack(block.getParameters(), manager);
            parameterStore = new ParameterStore(manager, false);
        }
        return packed;
    }

    /** Makes the engine record gradients for every trainable parameter. */
    private static void attachGradients(DualNetBlock block) {
        for (Parameter parameter : block.getParameters().values()) {
            if (parameter.requiresGradient()) {
                parameter.getArray().setRequiresGradient(true);
            }
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
