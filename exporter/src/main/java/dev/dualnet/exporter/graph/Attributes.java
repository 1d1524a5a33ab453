package dev.dualnet.exporter.graph;

import dev.dualnet.exporter.onnx.proto.Onnx.AttributeProto;
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

    /** The attributes built so far, for a node under construction. */
    public List<AttributeProto> protos() {
        return list;
    }
}
