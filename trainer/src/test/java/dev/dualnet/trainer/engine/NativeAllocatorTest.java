package dev.dualnet.trainer.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class NativeAllocatorTest {
    private static final String LIBC = "7f2a1c000000-7f2a1c028000 r--p 00000000 08:01 1234 /usr/lib/x86_64-linux-gnu/libc.so.6";
    private static final String TCMALLOC =
            "7f2a1d000000-7f2a1d020000 r-xp 00000000 08:01 5678 /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10";
    private static final String JEMALLOC = "7f2a1e000000-7f2a1e010000 r-xp 00000000 08:01 9012 /usr/lib/libjemalloc.so.2";

    @Test
    void readsTheAllocatorFromTheMappedLibraries() {
        assertThat(NativeAllocator.fromMaps(Stream.of(LIBC, "7f2a1f000000-7f2a1f001000 rw-p 00000000 00:00 0")))
                .isEqualTo(NativeAllocator.SYSTEM);
        assertThat(NativeAllocator.fromMaps(Stream.of(LIBC, TCMALLOC))).isEqualTo(NativeAllocator.TCMALLOC);
        assertThat(NativeAllocator.fromMaps(Stream.of(JEMALLOC, LIBC))).isEqualTo(NativeAllocator.JEMALLOC);
        assertThat(NativeAllocator.fromMaps(Stream.of(LIBC,
                "7f2a1f000000-7f2a1f001000 r-xp 00000000 08:01 3456 /opt/libtcmalloc-build/lib/libfoo.so")))
                .as("only the file name counts, not a directory that happens to be named so")
                .isEqualTo(NativeAllocator.SYSTEM);
    }
}
