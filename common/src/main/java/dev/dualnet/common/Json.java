package dev.dualnet.common;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The project's JSON settings: records as objects, pretty output, stable key order. */
public final class Json {
    private Json() {}

    /** A new mapper with the project's settings. */
    public static ObjectMapper mapper() {
        return JsonMapper.builder()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                .build();
    }

    /** A writer for pretty JSON. */
    public static ObjectWriter writer() {
        return mapper().writer();
    }
}
