package dev.dualnet.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.MapEntry;
import com.google.protobuf.Message;
import java.util.Base64;
import java.util.List;

/**
 * A protobuf message as Triton writes its model configuration in JSON: the proto's field names,
 * enums by name, 64-bit integers as numbers, every field of a present message with its default,
 * and messages that are not set left out.
 */
final class ProtoJson {
    private ProtoJson() {}

    static ObjectNode of(ObjectMapper json, Message message) {
        ObjectNode node = json.createObjectNode();
        for (FieldDescriptor field : message.getDescriptorForType().getFields()) {
            if (field.isMapField()) {
                ObjectNode map = node.putObject(field.getName());
                for (Object entry : (List<?>) message.getField(field)) {
                    MapEntry<?, ?> pair = (MapEntry<?, ?>) entry;
                    FieldDescriptor valueField = pair.getDescriptorForType().findFieldByName("value");
                    map.set(String.valueOf(pair.getKey()), value(json, valueField, pair.getValue()));
                }
            } else if (field.isRepeated()) {
                ArrayNode array = node.putArray(field.getName());
                for (Object element : (List<?>) message.getField(field)) {
                    array.add(value(json, field, element));
                }
            } else if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                if (message.hasField(field)) {
                    node.set(field.getName(), of(json, (Message) message.getField(field)));
                }
            } else if (field.getRealContainingOneof() == null || message.hasField(field)) {
                node.set(field.getName(), value(json, field, message.getField(field)));
            }
        }
        return node;
    }

    private static com.fasterxml.jackson.databind.JsonNode value(ObjectMapper json, FieldDescriptor field, Object value) {
        JsonNodeFactory nodes = json.getNodeFactory();
        return switch (field.getJavaType()) {
            case MESSAGE -> of(json, (Message) value);
            case ENUM -> nodes.textNode(((EnumValueDescriptor) value).getName());
            case INT -> field.getType() == FieldDescriptor.Type.UINT32 || field.getType() == FieldDescriptor.Type.FIXED32
                    ? nodes.numberNode(Integer.toUnsignedLong((Integer) value)) : nodes.numberNode((Integer) value);
            case LONG -> field.getType() == FieldDescriptor.Type.UINT64 || field.getType() == FieldDescriptor.Type.FIXED64
                    ? nodes.numberNode(new java.math.BigInteger(Long.toUnsignedString((Long) value)))
                    : nodes.numberNode((Long) value);
            case FLOAT -> nodes.numberNode((Float) value);
            case DOUBLE -> nodes.numberNode((Double) value);
            case BOOLEAN -> nodes.booleanNode((Boolean) value);
            case STRING -> nodes.textNode((String) value);
            case BYTE_STRING -> nodes.textNode(Base64.getEncoder().encodeToString(((ByteString) value).toByteArray()));
        };
    }
}
