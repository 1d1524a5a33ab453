package dev.dualnet.exporter.ops;

import static dev.dualnet.exporter.ops.OpTable.ARRAY;
import static dev.dualnet.exporter.ops.OpTable.MANAGER;

import ai.djl.ndarray.types.DataType;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.ElementTypes;
import dev.dualnet.exporter.graph.OnnxOperator;
import dev.dualnet.exporter.onnx.proto.Onnx.TensorProto;
import java.util.List;

/**
 * Arrays a manager creates. They are constants of the graph and fold into initializers, unless
 * their size derives from a dynamic dimension: then zeros, ones and full become
 * {@code ConstantOfShape} and arange becomes {@code Range}. Data given as Java arrays
 * ({@code create(float[])}) needs no mapping: it folds, and fails if it differs between traces.
 * SSD's anchor boxes ({@code multiBoxPrior}) depend on a feature map's shape only, and fold too.
 */
final class CreationOps {
    private CreationOps() {}

    static void register(OpTable table) {
        table.emit(MANAGER, "zeros(Shape,DataType)", op -> Emit.one(filled(op, 0)));
        table.emit(MANAGER, "ones(Shape,DataType)", op -> Emit.one(filled(op, 1)));
        table.emit(MANAGER, "full(Shape,float,DataType)", op -> Emit.one(filled(op, op.number(2))));
        for (String defaults : List.of("zeros(Shape)", "zeros(Shape,DataType,Device)", "ones(Shape)",
                "ones(Shape,DataType,Device)", "full(Shape,float)", "full(Shape,int)",
                "full(Shape,float,DataType,Device)", "arange(int)", "arange(int,int)", "arange(int,int,int)",
                "arange(float)", "arange(float,float)", "arange(float,float,float)",
                "arange(float,float,float,DataType,Device)")) {
            table.decompose(MANAGER, defaults);
        }
        table.emit(MANAGER, "arange(int,int,int,DataType)", CreationOps::range);
        table.emit(MANAGER, "arange(float,float,float,DataType)", CreationOps::range);
        for (String like : List.of("zerosLike()", "onesLike()")) {
            table.decompose(ARRAY, like);
        }
        table.shapeOnly(OpTable.EX, "multiBoxPrior(List,List,List,List,boolean)");
        table.emit(ARRAY, "oneHot(int)", CreationOps::oneHot);
        table.emit(ARRAY, "oneHot(int,DataType)", CreationOps::oneHot);
    }

    /**
     * An array of the output's shape and type filled with one value. A type the value attribute is
     * not written in here (float16) is filled in float32 and cast, which rounds as PyTorch's fill.
     */
    private static String filled(OpContext op, double value) {
        DataType type = op.outputType(0);
        DataType fillType = scalarBytes(type, value) == null ? DataType.FLOAT32 : type;
        TensorProto fill = TensorProto.newBuilder().setDataType(ElementTypes.onnx(fillType)).addDims(1)
                .setRawData(scalarBytes(fillType, value)).build();
        String filled = op.node(OnnxOperator.CONSTANT_OF_SHAPE, List.of(op.sizes(op.outputShape(0))),
                Attributes.none().tensor("value", fill));
        return op.cast(filled, fillType, type);
    }

    /** One value as little-endian bytes of a type, truncated toward zero for integers; null for other types. */
    private static com.google.protobuf.ByteString scalarBytes(DataType type, double value) {
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(type.getNumOfBytes())
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case FLOAT32 -> bytes.putFloat((float) value);
            case FLOAT64 -> bytes.putDouble(value);
            case INT64 -> bytes.putLong((long) value);
            case INT32 -> bytes.putInt((int) value);
            case INT8, UINT8 -> bytes.put((byte) value);
            case BOOLEAN -> bytes.put((byte) (value != 0 ? 1 : 0));
            default -> {
                return null;
            }
        }
        return com.google.protobuf.ByteString.copyFrom(bytes.array());
    }

    /**
     * start, start + step, ... below stop, in the output's type. PyTorch converts the three numbers
     * to an integer type before counting, as the constants here are converted (toward zero).
     */
    private static List<String> range(OpContext op) {
        DataType type = op.outputType(0);
        // Range has no 8-bit or half-precision form: count in int64 or float32 and cast, as PyTorch
        // computes those in its wider accumulation type.
        DataType counted = switch (type) {
            case FLOAT32, FLOAT64, INT32, INT64 -> type;
            default -> type.isFloating() ? DataType.FLOAT32 : DataType.INT64;
        };
        String range = op.node(OnnxOperator.RANGE, List.of(Emit.scalarArg(op, 1, counted),
                Emit.scalarArg(op, 2, counted), Emit.scalarArg(op, 3, counted)), Attributes.none());
        return Emit.one(op.cast(range, counted, type));
    }

    /**
     * PyTorch's one-hot over the last axis, of the indices as int64, with 0 and 1 in the output type.
     * The OneHot node reads int64 indices and writes float32 or int64, the forms ONNX Runtime has
     * kernels for; any other output type is a cast of that.
     */
    private static List<String> oneHot(OpContext op) {
        DataType type = op.outputType(0);
        DataType written = type.isFloating() ? DataType.FLOAT32 : DataType.INT64;
        String indices = Emit.input(op, 0, DataType.INT64);
        String values = op.constant(written, new long[] {2}, new float[] {0f, 1f});
        String depth = op.longs(op.fixed(1));
        String oneHot = op.node(OnnxOperator.ONE_HOT, List.of(indices, depth, values),
                Attributes.none().integer("axis", -1));
        return Emit.one(op.cast(oneHot, written, type));
    }
}
