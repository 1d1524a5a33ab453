package dev.dualnet.trainer.model;

import ai.djl.ndarray.NDArray;

/**
 * A gradient a block computed itself, outside the autograd graph, still to be added to its parameter's
 * accumulated gradient.
 *
 * @param parameter the parameter's array, as the model holds it
 * @param gradient the gradient of the loss with respect to it, shaped like it, in the step's scope
 */
public record ParameterGradient(NDArray parameter, NDArray gradient) {}
