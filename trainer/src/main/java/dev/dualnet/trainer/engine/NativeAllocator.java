package dev.dualnet.trainer.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Which allocator serves this process's native {@code malloc}: libtorch allocates and frees on every
 * operation, so a preloaded tcmalloc (the {@code dualnet} launcher's default when the system has it)
 * makes training faster. Read from the libraries mapped into the process.
 */
public enum NativeAllocator {
    TCMALLOC("tcmalloc"),
    JEMALLOC("jemalloc"),
    SYSTEM("system malloc");

    private static final Path OWN_MAPS = Path.of("/proc/self/maps");

    private final String label;

    NativeAllocator(String label) {
        this.label = label;
    }

    /** Name for logs and the run record. */
    public String label() {
        return label;
    }

    /** The allocator of this process; {@link #SYSTEM} where the process maps cannot be read (not Linux). */
    public static NativeAllocator current() {
        try (Stream<String> lines = Files.lines(OWN_MAPS)) {
            return fromMaps(lines);
        } catch (IOException | UncheckedIOException e) {
            return SYSTEM;
        }
    }

    /** The allocator whose library appears in these {@code /proc/PID/maps} lines. */
    public static NativeAllocator fromMaps(Stream<String> lines) {
        Set<String> files = lines.map(NativeAllocator::mappedFileName).collect(Collectors.toSet());
        if (files.stream().anyMatch(name -> name.startsWith("libtcmalloc"))) {
            return TCMALLOC;
        }
        if (files.stream().anyMatch(name -> name.startsWith("libjemalloc"))) {
            return JEMALLOC;
        }
        return SYSTEM;
    }

    private static String mappedFileName(String mapsLine) {
        int slash = mapsLine.lastIndexOf('/');
        return slash < 0 ? "" : mapsLine.substring(slash + 1);
    }
}
