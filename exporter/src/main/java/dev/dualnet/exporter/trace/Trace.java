package dev.dualnet.exporter.trace;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What one traced forward pass did: its values, its operations in order, which values are the graph
 * inputs and outputs, and what the tracer noticed. Holds the engine arrays of its constants until
 * {@link #close()}.
 */
public final class Trace implements AutoCloseable {
    private final List<TensorRecord> tensors = new ArrayList<>();
    private final List<TraceOp> ops = new ArrayList<>();
    private final List<Integer> inputs = new ArrayList<>();
    private final List<Integer> outputs = new ArrayList<>();
    private final Set<String> warnings = new LinkedHashSet<>();
    private final NDManager arrays;

    Trace(NDManager arrays) {
        this.arrays = arrays;
    }

    public List<TensorRecord> tensors() {
        return Collections.unmodifiableList(tensors);
    }

    public TensorRecord tensor(int id) {
        return tensors.get(id);
    }

    public List<TraceOp> ops() {
        return Collections.unmodifiableList(ops);
    }

    /** Value ids of the graph inputs, in declaration order. */
    public List<Integer> inputs() {
        return Collections.unmodifiableList(inputs);
    }

    /** Value ids of the forward pass's results, in order. */
    public List<Integer> outputs() {
        return Collections.unmodifiableList(outputs);
    }

    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    TensorRecord add(TensorRecord tensor) {
        tensors.add(tensor);
        return tensor;
    }

    int nextTensorId() {
        return tensors.size();
    }

    int nextOpIndex() {
        return ops.size();
    }

    void add(TraceOp op) {
        ops.add(op);
    }

    void input(int id) {
        inputs.add(id);
    }

    void output(int id) {
        outputs.add(id);
    }

    void warn(String warning) {
        warnings.add(warning);
    }

    /** Frees the engine arrays of values that depend on the inputs; constants stay for export. */
    void releaseComputed() {
        for (TensorRecord tensor : tensors) {
            if (!tensor.constant() && tensor.value() != null) {
                tensor.value().close();
                tensor.release();
            }
        }
    }

    /** Frees every engine array the trace created. */
    @Override
    public void close() {
        arrays.close();
    }
}
