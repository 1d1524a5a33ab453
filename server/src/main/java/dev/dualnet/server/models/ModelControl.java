package dev.dualnet.server.models;

import java.util.Locale;

/** Triton's model control modes: who may change what the server serves once it runs. */
public enum ModelControl {
    /** The models found at startup serve until the server stops. */
    NONE,
    /** Models load and unload when the repository API asks. */
    EXPLICIT,
    /** The server rescans the repository periodically and follows its changes; the API may load and unload too. */
    POLL;

    /**
     * Parses a command-line value: none, explicit or poll, in any case.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static ModelControl parse(String value) {
        for (ModelControl mode : values()) {
            if (mode.name().equalsIgnoreCase(value)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("--model-control must be none, explicit or poll, got '" + value + "'");
    }

    public String option() {
        return name().toLowerCase(Locale.ROOT);
    }
}
