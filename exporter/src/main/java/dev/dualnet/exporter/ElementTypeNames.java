package dev.dualnet.exporter;

import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The element types an export takes for its inputs, by the names users write. */
public final class ElementTypeNames {
    /** Name to DJL type, in the order they are listed to users. */
    public static final Map<String, DataType> NAMES = names();

    private ElementTypeNames() {}

    private static Map<String, DataType> names() {
        Map<String, DataType> names = new LinkedHashMap<>();
        names.put("float32", DataType.FLOAT32);
        names.put("float16", DataType.FLOAT16);
        names.put("float64", DataType.FLOAT64);
        names.put("int32", DataType.INT32);
        names.put("int64", DataType.INT64);
        names.put("int8", DataType.INT8);
        names.put("uint8", DataType.UINT8);
        names.put("bool", DataType.BOOLEAN);
        return java.util.Collections.unmodifiableMap(names);
    }

    /**
     * @throws IllegalArgumentException naming the known types
     */
    public static DataType parse(String name) {
        DataType type = NAMES.get(name.strip().toLowerCase(Locale.ROOT));
        if (type == null) {
            throw new IllegalArgumentException("unknown element type '" + name + "'; expected one of "
                    + String.join(", ", NAMES.keySet()));
        }
        return type;
    }

    /** The user-facing name of a type, or DJL's own name for one not in {@link #NAMES}. */
    public static String name(DataType type) {
        for (Map.Entry<String, DataType> entry : NAMES.entrySet()) {
            if (entry.getValue() == type) {
                return entry.getKey();
            }
        }
        return type.toString().toLowerCase(Locale.ROOT);
    }
}
