package dev.dualnet.server.models;

import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.config.ModelSignature;
import dev.dualnet.runtime.config.TensorSignature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks a request against one model's signature (its config.pbtxt resolved against its graph)
 * before anything runs: input names, datatypes, ranks and fixed dimensions, every dimension at
 * least 1, the batch between 1 and max_batch_size and the same for every input. Built once at
 * load; every protocol the server speaks goes through it.
 */
public final class RequestValidator {
    private final ModelSignature signature;
    private final Map<String, TensorSignature> inputs = new LinkedHashMap<>();
    private final Set<String> outputs;

    /** A request fit to run: the feeds in the model's input order and the graph's shapes. */
    public record Checked(List<NamedTensor> feeds, Set<String> outputs, int rows) {
        /** Whether the request has a batch dimension the dynamic batcher may merge along. */
        public boolean batched() {
            return rows > 0;
        }
    }

    public RequestValidator(ModelSignature signature) {
        this.signature = signature;
        signature.inputs().forEach(input -> inputs.put(input.name(), input));
        this.outputs = signature.outputs().stream().map(TensorSignature::name)
                .collect(Collectors.toCollection(java.util.LinkedHashSet::new));
    }

    public ModelSignature signature() {
        return signature;
    }

    /**
     * @param requested outputs asked for; empty for all
     * @throws InvalidInputException naming the tensor, what it was and what the model expects
     */
    public Checked check(List<NamedTensor> feeds, Set<String> requested) {
        Map<String, NamedTensor> byName = new HashMap<>();
        for (NamedTensor feed : feeds) {
            if (!inputs.containsKey(feed.name())) {
                throw new InvalidInputException("unknown input '" + feed.name() + "'; the model's inputs are "
                        + describe(signature.inputs()));
            }
            if (byName.put(feed.name(), feed) != null) {
                throw new InvalidInputException("input '" + feed.name() + "' given twice");
            }
        }
        for (String name : requested) {
            if (!outputs.contains(name)) {
                throw new InvalidInputException("unknown output '" + name + "'; the model's outputs are " + outputs);
            }
        }
        boolean batched = signature.maxBatchSize() > 0;
        List<NamedTensor> ordered = new ArrayList<>(inputs.size());
        NamedTensor batchSetter = null;
        for (TensorSignature input : inputs.values()) {
            NamedTensor feed = byName.get(input.name());
            if (feed == null) {
                throw new InvalidInputException("missing input '" + input.name() + "'; expected "
                        + describe(signature.inputs()));
            }
            if (feed.type() != input.type()) {
                throw new InvalidInputException("input '" + feed.name() + "' has datatype " + feed.type()
                        + ", expected " + input.type());
            }
            long[] shape = feed.shape();
            for (long dim : shape) {
                if (dim < 1) {
                    throw new InvalidInputException("input '" + feed.name() + "' has shape " + Arrays.toString(shape)
                            + "; every dimension must be at least 1");
                }
            }
            if (batched) {
                if (shape.length == 0) {
                    throw new InvalidInputException("input '" + feed.name() + "' is a scalar; expected shape "
                            + expected(input, true));
                }
                if (shape[0] > signature.maxBatchSize()) {
                    throw new InvalidInputException("input '" + feed.name() + "' has a batch of " + shape[0]
                            + ", more than the model's max_batch_size " + signature.maxBatchSize());
                }
                if (batchSetter != null && batchSetter.shape()[0] != shape[0]) {
                    throw new InvalidInputException("inputs '" + batchSetter.name() + "' and '" + feed.name()
                            + "' disagree on the batch size: " + batchSetter.shape()[0] + " and " + shape[0]
                            + " (shapes " + Arrays.toString(batchSetter.shape()) + " and " + Arrays.toString(shape) + ")");
                }
                batchSetter = batchSetter == null ? feed : batchSetter;
            }
            ordered.add(toGraphShape(feed, input, batched));
        }
        int rows = batched && batchSetter != null ? (int) batchSetter.shape()[0] : -1;
        return new Checked(ordered, requested, rows);
    }

    /**
     * The tensor in the shape the graph takes: as sent when it matches the config's dims, or
     * reshaped when the config gives the graph another shape; the graph's own shape is also taken.
     */
    private NamedTensor toGraphShape(NamedTensor feed, TensorSignature input, boolean batched) {
        long[] shape = feed.shape();
        long[] perItem = batched ? Arrays.copyOfRange(shape, 1, shape.length) : shape;
        long[] reshape = input.reshape();
        if (matches(perItem, input.dims())) {
            if (reshape == null) {
                return feed;
            }
            long[] graphShape = batched ? prepend(shape[0], resolve(reshape, perItem)) : resolve(reshape, perItem);
            return new NamedTensor(feed.name(), feed.type(), graphShape, feed.data());
        }
        if (reshape != null && matches(perItem, reshape)) {
            return feed;
        }
        throw new InvalidInputException("input '" + feed.name() + "' has shape " + Arrays.toString(shape)
                + ", expected " + expected(input, batched) + " (-1 = any size)");
    }

    /** A reshape with an open dimension takes its size from the elements sent. */
    private static long[] resolve(long[] reshape, long[] sent) {
        long known = 1;
        int open = -1;
        for (int d = 0; d < reshape.length; d++) {
            if (reshape[d] < 0) {
                open = d;
            } else {
                known *= reshape[d];
            }
        }
        if (open < 0) {
            return reshape;
        }
        long elements = 1;
        for (long dim : sent) {
            elements *= dim;
        }
        long[] out = reshape.clone();
        out[open] = elements / Math.max(known, 1);
        return out;
    }

    private static boolean matches(long[] actual, long[] dims) {
        if (actual.length != dims.length) {
            return false;
        }
        for (int d = 0; d < dims.length; d++) {
            if (dims[d] >= 0 && dims[d] != actual[d]) {
                return false;
            }
        }
        return true;
    }

    private static long[] prepend(long first, long[] rest) {
        long[] out = new long[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    private String expected(TensorSignature input, boolean batched) {
        String dims = Arrays.toString(batched ? prepend(-1, input.dims()) : input.dims());
        if (input.reshape() != null) {
            dims += " or " + Arrays.toString(batched ? prepend(-1, input.reshape()) : input.reshape());
        }
        return dims + (batched ? " with a batch of 1.." + signature.maxBatchSize() : "");
    }

    private static String describe(List<TensorSignature> tensors) {
        return tensors.stream().map(t -> t.name() + ":" + t.type()).toList().toString();
    }

    /** The shape a client is told to send: the batch as -1 before the config's dims. */
    public static long[] protocolShape(TensorSignature tensor, int maxBatchSize) {
        return maxBatchSize > 0 ? prepend(-1, tensor.dims()) : tensor.dims();
    }
}
