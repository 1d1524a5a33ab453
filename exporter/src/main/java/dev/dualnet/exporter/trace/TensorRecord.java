package dev.dualnet.exporter.trace;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * One value of a trace: an input, a parameter, a constant, or an operation's result. Values are
 * numbered in the order they appear, so two traces of the same forward pass number them alike.
 */
public final class TensorRecord {
    /** Where a value comes from. */
    public enum Origin {
        /** A graph input. */
        INPUT,
        /** A block parameter, read through the parameter store. */
        PARAMETER,
        /** An engine array from outside the trace, or one a manager created. */
        CAPTURED,
        /** The result of a recorded operation. */
        COMPUTED
    }

    private final int id;
    private final DataType dataType;
    private final long[] shape;
    private final Origin origin;
    private final boolean constant;
    private final int producer;
    private final String name;
    private NDArray value;

    TensorRecord(int id, NDArray value, Origin origin, boolean constant, int producer, String name) {
        this.id = id;
        this.value = value;
        this.dataType = value.getDataType();
        this.shape = value.getShape().getShape();
        this.origin = origin;
        this.constant = constant;
        this.producer = producer;
        this.name = name;
    }

    public int id() {
        return id;
    }

    public DataType dataType() {
        return dataType;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public Origin origin() {
        return origin;
    }

    /** Whether the value depends on no graph input. */
    public boolean constant() {
        return constant;
    }

    /** The index of the operation that produced it, or -1. */
    public int producer() {
        return producer;
    }

    /** The input's or parameter's name; null for other values. */
    public String name() {
        return name;
    }

    /** The engine array computed in the trace; null once released. */
    public NDArray value() {
        return value;
    }

    void release() {
        value = null;
    }
}
