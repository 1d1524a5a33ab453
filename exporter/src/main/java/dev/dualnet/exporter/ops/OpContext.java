package dev.dualnet.exporter.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.OnnxExportable;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxOperator;
import java.util.List;
import java.util.Optional;

/**
 * What a mapping sees of one recorded operation, and how it writes nodes.
 *
 * <p>Arguments are numbered as recorded: 0 is the array the method was called on (for an
 * {@code NDArrayEx} method, the array it belongs to; for an {@code NDManager} method, nothing), and
 * the method's own arguments follow from 1. Sizes come as {@link Dim}s, which are dynamic where the
 * forward pass derived them from a dynamic input dimension.
 */
public interface OpContext {
    /** The target opset. */
    int opset();

    /** The block the operation ran in. */
    String blockPath();

    /** The number of recorded arguments, the receiver included. */
    int argCount();

    /** Whether an argument is null (an absent bias, say). */
    boolean isNull(int arg);

    /** The ONNX value of an array argument; a constant becomes an initializer the first time it is read. */
    String input(int arg);

    /** The ONNX values of an {@code NDList} argument. */
    List<String> inputs(int arg);

    /** The element type of an array argument. */
    DataType type(int arg);

    /** The shape of an array argument. */
    List<Dim> shape(int arg);

    /** The element type of one array of an {@code NDList} argument. */
    DataType type(int arg, int element);

    /** The shape of one array of an {@code NDList} argument. */
    List<Dim> shape(int arg, int element);

    /** The rank of an array argument. */
    default int rank(int arg) {
        return shape(arg).size();
    }

    /** The ONNX value of an array referenced by id inside an argument ({@code Args.Mask}, {@code Args.Pick}, {@code Args.Take}). */
    String tensor(int id);

    /** The element type of an array referenced by id. */
    DataType tensorType(int id);

    /** The shape of an array referenced by id. */
    List<Dim> tensorShape(int id);

    /** The engine value of an array argument that is a constant of the graph, if it is one. */
    Optional<NDArray> constant(int arg);

    /** The engine value of one array of an {@code NDList} argument that is a constant of the graph, if it is one. */
    Optional<NDArray> constant(int arg, int element);

    /** An integer argument ({@code int}, {@code long} or an integral {@code Number}). */
    Dim dim(int arg);

    /** A {@code Shape}, {@code long[]}, {@code int[]} or list-of-numbers argument. */
    List<Dim> dims(int arg);

    /** One number inside an {@code NDIndex} argument: element {@code element}, part {@code part} (slice start 0, stop 1, step 2; a fixed index 0). */
    Dim indexDim(int arg, int element, int part);

    /**
     * An integer argument that must be fixed.
     *
     * @throws OnnxExportException ({@code NOT_DYNAMIC}) when it derives from a dynamic dimension
     */
    long fixed(int arg);

    /** A {@code Shape}, {@code long[]} or {@code int[]} argument that must be fixed. */
    long[] fixedDims(int arg);

    /** A number argument that must be fixed. */
    double number(int arg);

    /** Any other argument as recorded: booleans, enums, {@code DataType}, {@link dev.dualnet.exporter.trace.Args} records. */
    <T> T arg(int arg, Class<T> type);

    /** The number of results. */
    int outputCount();

    /** The element type of a result, as DJL computed it. */
    DataType outputType(int output);

    /** The shape of a result, as DJL computed it. */
    List<Dim> outputShape(int output);

    /** Appends a node with one output. */
    String node(OnnxOperator op, List<String> inputs, Attributes attributes);

    /** Appends a node with several outputs. */
    List<String> node(OnnxOperator op, List<String> inputs, Attributes attributes, int outputs);

    /** A 1-D int64 constant. */
    String longs(long... values);

    /** A 0-D constant of a type. */
    String scalar(DataType type, double value);

    /** A constant of a type and shape holding float data, converted to the type. */
    String constant(DataType type, long[] dims, float[] values);

    /** A new initializer from little-endian bytes, named after {@code wanted} (made unique). */
    String initializer(String wanted, DataType type, long[] dims, java.nio.ByteBuffer littleEndian);

    /** A 1-D int64 tensor holding these sizes: a constant when all are fixed, else computed from the inputs' shapes. */
    String sizes(List<Dim> dims);

    /** A 0-D int64 tensor holding one size. */
    String size(Dim dim);

    /** A value converted to another element type; the value itself when it has that type already. */
    String cast(String value, DataType from, DataType to);

    /** Writes the nodes of a block that exports itself. */
    List<String> exportBlock(OnnxExportable block);

    /**
     * Fails when the target opset is lower than needed.
     *
     * @throws OnnxExportException ({@code OPSET_TOO_LOW}) naming the feature and the opset it needs
     */
    void requireOpset(int opset, String feature);

    /** An error for arguments the mapping does not support, naming the block, method and opset. */
    OnnxExportException unsupported(String reason);
}
