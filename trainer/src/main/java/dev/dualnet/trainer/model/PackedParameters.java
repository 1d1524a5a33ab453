package dev.dualnet.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * A model's trainable parameters laid out back to back in one contiguous tensor, each parameter a
 * view of its own range of it.
 *
 * <p>An elementwise update such as Adam can then cover many parameters with one engine call instead of
 * a dozen calls per parameter. For the seed network's sixteen small tensors that call count, not the
 * arithmetic, is most of what an update costs. Created by {@link
 * DualNetModel#packParameters()}.
 */
public final class PackedParameters {
    private final List<Pair<String, Parameter>> parameters;
    private final long[] offsets;
    private final NDArray values;

    private PackedParameters(List<Pair<String, Parameter>> parameters, long[] offsets, NDArray values) {
        this.parameters = parameters;
        this.offsets = offsets;
        this.values = values;
    }

    /**
     * Copies the trainable parameters into one new tensor and makes each parameter a view of its range.
     * The parameters' previous arrays are freed; their values and gradient recording carry over.
     */
    static PackedParameters pack(PairList<String, Parameter> all, NDManager manager) {
        List<Pair<String, Parameter>> trainable = new ArrayList<>();
        for (Pair<String, Parameter> entry : all) {
            if (entry.getValue().requiresGradient()) {
                trainable.add(entry);
            }
        }
        long[] offsets = new long[trainable.size() + 1];
        for (int i = 0; i < trainable.size(); i++) {
            offsets[i + 1] = offsets[i] + trainable.get(i).getValue().getArray().size();
        }
        NDArray values = manager.zeros(new Shape(offsets[trainable.size()]), DataType.FLOAT32);
        for (int i = 0; i < trainable.size(); i++) {
            Parameter parameter = trainable.get(i).getValue();
            NDArray old = parameter.getArray();
            Shape shape = old.getShape();
            NDIndex range = elements(offsets, i);
            try (NDArray flat = old.reshape(-1)) {
                values.set(range, flat);
            }
            NDArray view = values.get(range).reshape(shape);
            // DJL replaces a parameter's array only through initialisation; hand it the view that way,
            // then give the parameter its own initialiser back.
            Initializer original = parameter.getInitializer();
            parameter.close();
            parameter.setInitializer((unusedManager, unusedShape, unusedType) -> view);
            parameter.initialize(manager, DataType.FLOAT32);
            parameter.setInitializer(original);
        }
        return new PackedParameters(List.copyOf(trainable), offsets, values);
    }

    /** Number of packed parameters. */
    public int count() {
        return parameters.size();
    }

    /** Number of packed scalars. */
    public long size() {
        return offsets[parameters.size()];
    }

    /** The {@code index}th parameter's path in the block tree. */
    public String name(int index) {
        return parameters.get(index).getKey();
    }

    /** The {@code index}th parameter, whose array is a view of the packed tensor. */
    public Parameter parameter(int index) {
        return parameters.get(index).getValue();
    }

    /** Where the {@code index}th parameter starts in the packed tensor; {@code offset(count())} is its size. */
    public long offset(int index) {
        return offsets[index];
    }

    /** Number of scalars in the {@code index}th parameter. */
    public long length(int index) {
        return offsets[index + 1] - offsets[index];
    }

    /**
     * The packed tensor itself, 1-D: each parameter is a view of its range, so an in-place update of
     * this tensor updates them all.
     */
    public NDArray values() {
        return values;
    }

    /**
     * The index of the {@code index}th parameter's elements in the packed tensor, or in any 1-D tensor
     * laid out like it.
     */
    public NDIndex elements(int index) {
        return elements(offsets, index);
    }

    private static NDIndex elements(long[] offsets, int index) {
        return new NDIndex("{}:{}", offsets[index], offsets[index + 1]);
    }
}
