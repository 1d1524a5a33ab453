package dev.dualnet.common.cli;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Command-line names of enum constants: the constant's name in lower case. */
public final class EnumIds {
    private EnumIds() {}

    public static String id(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT);
    }

    /**
     * Finds the constant whose {@link #id} is {@code id}.
     *
     * @param what what the constants are, for the error message ("preset", "schedule")
     * @throws IllegalArgumentException naming the known ids when none matches
     */
    public static <E extends Enum<E>> E parse(Class<E> type, String id, String what) {
        E[] constants = type.getEnumConstants();
        for (E constant : constants) {
            if (id(constant).equals(id)) {
                return constant;
            }
        }
        throw new IllegalArgumentException("unknown " + what + " '" + id + "', expected one of: "
                + Arrays.stream(constants).map(EnumIds::id).collect(Collectors.joining(", ")));
    }
}
