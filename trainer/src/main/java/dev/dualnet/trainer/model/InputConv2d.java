package dev.dualnet.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/**
 * A {@link Conv2d} on the network's input, whose weight gradient the block computes itself in training
 * on the CPU.
 *
 * <p>Why: libtorch hands a convolution's weight gradient to oneDNN, which pads a single input channel
 * to a block of eight channels, so for the first convolution of both presets that one kernel, with its
 * reorders, is a large part of a seed training step on the CPU. The input of this block never needs a
 * gradient (it is the image, or the standardised image), so the weight gradient is a correlation of
 * the input with the output's gradient: one forward convolution with the batch as the channels and the
 * output's gradients as the filters, which oneDNN runs faster because the batch fills its channel
 * blocks.
 *
 * <p>How: in training the block computes its output outside the autograd graph and marks the output as
 * needing a gradient, so the backward pass of the loss stops there. {@link #deferredGradients()} then
 * turns the output's gradient into the weight's and the bias's, which the trainer adds to their
 * accumulated gradients. The arithmetic is the same as autograd's up to float rounding. Inference, GPU
 * devices, an input that needs a gradient, and strided, dilated or grouped convolutions take the
 * ordinary path.
 */
public final class InputConv2d extends Conv2d {
    /** The arrays of the last training forward whose gradient is still to be computed. */
    private Deferred deferred;

    private InputConv2d(Conv2d.Builder builder) {
        super(builder);
    }

    /** A convolution with bias, stride 1 and symmetric zero padding. */
    public static InputConv2d of(int filters, int kernel, int padding) {
        return new InputConv2d(Conv2d.builder()
                .setFilters(filters)
                .setKernelShape(new Shape(kernel, kernel))
                .optPadding(new Shape(padding, padding)));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray input = inputs.singletonOrThrow();
        deferred = null;
        if (!training || !defersGradient(input)) {
            return super.forwardInternal(parameterStore, inputs, training, params);
        }
        NDArray weightArray = parameterStore.getValue(weight, input.getDevice(), true);
        NDArray biasArray = parameterStore.getValue(bias, input.getDevice(), true);
        NDArray output;
        try (NDArray detachedWeight = weightArray.stopGradient();
                NDArray detachedBias = biasArray.stopGradient()) {
            // The result lives with the input, in the caller's per-step scope.
            output = Conv2d.conv2d(input, detachedWeight, detachedBias, stride, padding, dilation, groups)
                    .singletonOrThrow();
        }
        output.setRequiresGradient(true);
        deferred = new Deferred(input, output, weightArray, biasArray);
        return new NDList(output);
    }

    private boolean defersGradient(NDArray input) {
        return !input.getDevice().isGpu()
                && !input.hasGradient()
                && includeBias
                && groups == 1
                && isOnes(stride)
                && isOnes(dilation);
    }

    private static boolean isOnes(Shape shape) {
        for (long dim : shape.getShape()) {
            if (dim != 1) {
                return false;
            }
        }
        return true;
    }

    /**
     * After the backward pass of a loss computed from the last training forward: the weight's and the
     * bias's gradient in that loss, to be added to their accumulated gradients. Empty when the last
     * forward took the ordinary path; either way the pending arrays are released.
     */
    public List<ParameterGradient> deferredGradients() {
        Deferred pending = deferred;
        deferred = null;
        if (pending == null) {
            return List.of();
        }
        NDArray outputGradient = pending.output().getGradient();
        // dW[c,k,i,j] = sum over n,y,x of g[n,c,y,x] * x[n,k,y+i,x+j]: a convolution of the inputs with
        // the batch as channels ([K,N,H,W]) by the output gradients as filters ([C,N,H',W']).
        NDArray inputsByChannel = pending.input().transpose(1, 0, 2, 3);
        NDArray gradientFilters = outputGradient.transpose(1, 0, 2, 3);
        NDArray weightGradient = Conv2d.conv2d(inputsByChannel, gradientFilters, null, new Shape(1, 1), padding)
                .singletonOrThrow()
                .transpose(1, 0, 2, 3);
        NDArray biasGradient = outputGradient.sum(new int[] {0, 2, 3});
        return List.of(
                new ParameterGradient(pending.weight(), weightGradient),
                new ParameterGradient(pending.bias(), biasGradient));
    }

    private record Deferred(NDArray input, NDArray output, NDArray weight, NDArray bias) {}
}
