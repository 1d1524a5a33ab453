package dev.dualnet.exporter.graph;

import com.google.protobuf.ByteString;
import dev.dualnet.exporter.onnx.proto.Onnx.AttributeProto;
import dev.dualnet.exporter.onnx.proto.Onnx.TensorProto;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Node attributes, in the order they are added. */
public final class Attributes {
    private final List<AttributeProto> list = new ArrayList<>();

    public static Attributes none() {
        return new Attributes();
    }

    public Attributes ints(String name, long... values) {
        AttributeProto.Builder attribute = AttributeProto.newBuilder()
                .setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long value : values) {
            attribute.addInts(value);
        }
        list.add(attribute.build());
        return this;
    }

    public Attributes integer(String name, long value) {
        list.add(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build());
        return this;
    }

    public Attributes real(String name, float value) {
        list.add(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build());
        return this;
    }

    public Attributes reals(String name, float... values) {
        AttributeProto.Builder attribute = AttributeProto.newBuilder()
                .setName(name).setType(AttributeProto.AttributeType.FLOATS);
        for (float value : values) {
            attribute.addFloats(value);
        }
        list.add(attribute.build());
        return this;
    }

    public Attributes string(String name, String value) {
        list.add(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFrom(value, StandardCharsets.UTF_8)).build());
        return this;
    }

    public Attributes strings(String name, String... values) {
        AttributeProto.Builder attribute = AttributeProto.newBuilder()
                .setName(name).setType(AttributeProto.AttributeType.STRINGS);
        for (String value : values) {
            attribute.addStrings(ByteString.copyFrom(value, StandardCharsets.UTF_8));
        }
        list.add(attribute.build());
        return this;
    }

    public Attributes tensor(String name, TensorProto value) {
        list.add(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.TENSOR).setT(value)
                .build());
        return this;
    }

    /** The attributes built so far, for a node under construction. */
    public List<AttributeProto> protos() {
        return list;
    }
}
