package dev.dualnet.server.models;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * One model of the repository by name: the versions it serves now, or the reason it serves none.
 * The set of versions is replaced as a whole when the model loads, reloads or unloads, so a request
 * sees either the old set or the new one, never a mix.
 */
public final class ServedModel {
    /** Triton's states of a model in the repository index. */
    public enum State {
        READY,
        UNAVAILABLE,
        LOADING,
        UNLOADING
    }

    /** The versions serving, by number, and why the model is not (fully) what was asked. */
    private record Snapshot(NavigableMap<Long, ServedVersion> versions, String reason) {}

    private final String name;
    private volatile Snapshot snapshot = new Snapshot(Collections.emptyNavigableMap(), "not loaded");
    private volatile State transition;

    ServedModel(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Whether at least one version serves. */
    public boolean ready() {
        return !snapshot.versions().isEmpty();
    }

    /**
     * Why the model serves no version, or why its last load failed while older versions kept
     * serving; null when neither. Fit for clients: no paths, no library names.
     */
    public String reason() {
        return snapshot.reason();
    }

    /** The state for the repository index: a load or unload in progress, else READY or UNAVAILABLE. */
    public State state() {
        State now = transition;
        return now != null ? now : ready() ? State.READY : State.UNAVAILABLE;
    }

    /** The versions serving, ascending. */
    public List<ServedVersion> versions() {
        return new ArrayList<>(snapshot.versions().values());
    }

    /**
     * The version a request names, or the highest serving one when it names none.
     *
     * @param version the requested version, or null
     * @throws ModelUnavailableException when the model serves no version
     * @throws UnknownModelException when it does not serve the named one
     */
    public ServedVersion version(Long version) {
        Snapshot current = snapshot;
        if (current.versions().isEmpty()) {
            throw new ModelUnavailableException("model '" + name + "' is not ready: " + current.reason(), false);
        }
        if (version == null) {
            return current.versions().lastEntry().getValue();
        }
        ServedVersion served = current.versions().get(version);
        if (served == null) {
            throw new UnknownModelException("model '" + name + "' has no version '" + version + "'; it serves version"
                    + (current.versions().size() == 1 ? " " : "s ") + joined(current.versions().keySet()));
        }
        return served;
    }

    /**
     * Admits a request to the named version, or to the highest serving one; a version that a reload
     * retires meanwhile is passed over for its successor.
     *
     * @throws ModelUnavailableException when the model serves no version or the version's queue is full
     * @throws UnknownModelException when it does not serve the named version
     */
    public ServedVersion.Admission admit(Long version) {
        while (true) {
            ServedVersion.Admission admission = version(version).tryAdmit();
            if (admission != null) {
                return admission;
            }
            Thread.onSpinWait();
        }
    }

    /** Serves {@code versions} from now on; returns those no longer served. */
    List<ServedVersion> replace(NavigableMap<Long, ServedVersion> versions, String reason) {
        Snapshot old = snapshot;
        snapshot = new Snapshot(Collections.unmodifiableNavigableMap(new TreeMap<>(versions)), reason);
        List<ServedVersion> gone = new ArrayList<>();
        for (ServedVersion before : old.versions().values()) {
            if (versions.get(before.version()) != before) {
                gone.add(before);
            }
        }
        return gone;
    }

    /** Keeps the versions serving and records why the last load did not change them. */
    void failed(String reason) {
        Snapshot old = snapshot;
        snapshot = new Snapshot(old.versions(), reason);
    }

    void transition(State state) {
        transition = state;
    }

    private static String joined(Iterable<Long> versions) {
        List<String> names = new ArrayList<>();
        versions.forEach(v -> names.add(Long.toString(v)));
        return String.join(", ", names);
    }
}
