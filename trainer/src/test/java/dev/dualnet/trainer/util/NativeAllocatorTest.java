package dev.dualnet.trainer.util;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dualnet.trainer.testing.Launcher;
import dev.dualnet.trainer.testing.RealMnist;
import dev.dualnet.trainer.testing.TrainerProcess;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeAllocatorTest {
    private static final String LIBC = "7f2a1c000000-7f2a1c028000 r--p 00000000 08:01 1234 /usr/lib/x86_64-linux-gnu/libc.so.6";
    private static final String TCMALLOC =
            "7f2a1d000000-7f2a1d020000 r-xp 00000000 08:01 5678 /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10";
    private static final String JEMALLOC = "7f2a1e000000-7f2a1e010000 r-xp 00000000 08:01 9012 /usr/lib/libjemalloc.so.2";

    @TempDir
    Path dir;

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

    @Test
    void launcherRejectsAnUnknownAllocatorAndCanBeToldToUseTheSystemOne() throws Exception {
        Launcher.Result unknown = Launcher.run(Map.of("DUALNET_MALLOC", "mimalloc"), "--native-allocator");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.stderr()).contains("DUALNET_MALLOC must be auto, tcmalloc or system, not 'mimalloc'");

        Launcher.Result system = Launcher.run(Map.of("DUALNET_MALLOC", "system"), "--native-allocator");
        assertThat(system.exitCode()).isZero();
        assertThat(system.stdout()).isEqualTo("system");
    }

    /**
     * The launcher preloads tcmalloc where the system has it (Debian's libtcmalloc-minimal4) and
     * otherwise leaves the C library's malloc, saying so; either way training runs on what the
     * launcher chose and records it, with the OpenMP wait settings and the garbage collector.
     */
    @Test
    void trainingRunsOnTheAllocatorTheLauncherChoosesAndRecordsItWithTheOpenMpWaitAndCollector() throws Exception {
        java.util.Optional<String> preloaded = Launcher.preloadedAllocator();
        preloaded.ifPresent(library -> assertThat(Path.of(library)).isRegularFile());
        String expected = preloaded.isPresent() ? "tcmalloc" : "system malloc";
        if (preloaded.isEmpty()) {
            Launcher.Result required = Launcher.run(Map.of("DUALNET_MALLOC", "tcmalloc"), "--native-allocator");
            assertThat(required.exitCode()).isEqualTo(1);
            assertThat(required.stderr()).contains("libtcmalloc_minimal.so.4 is not installed", "libtcmalloc-minimal4");
        }
        RealMnist.data();
        Path run = dir.resolve("run");
        try (TrainerProcess trainer = TrainerProcess.start(List.of("train", "--preset", "seed", "--epochs", "1",
                "--train-limit", "512", "--test-limit", "256", "--run-dir", run.toString()))) {
            assertThat(trainer.waitFor(300)).as(trainer.log()).isZero();
            assertThat(trainer.log()).contains(preloaded.isPresent() ? "Native allocator: tcmalloc"
                    : "Native allocator: system malloc; CPU training is about 12% faster with tcmalloc")
                    .doesNotContain("processor(s) here");
        }
        JsonNode recorded = Json.mapper().readTree(run.resolve("run.json").toFile());
        assertThat(recorded.at("/environment/nativeAllocator").asText()).isEqualTo(expected);
        assertThat(recorded.at("/environment/gompSpinCount").asText())
                .isEqualTo(Launcher.openmpWait().get("GOMP_SPINCOUNT"));
        assertThat(recorded.at("/environment/ompWaitPolicy").isNull()).as("no wait policy set").isTrue();
        // The serial collector's two generations, as the JVM names them.
        assertThat(Launcher.garbageCollectorOption("train")).hasValue("-XX:+UseSerialGC");
        assertThat(recorded.at("/environment/garbageCollector").asText()).isEqualTo("Copy, MarkSweepCompact");
    }
}
