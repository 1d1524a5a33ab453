package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dualnet.cli.testing.DualnetProcess;
import dev.dualnet.cli.testing.Launcher;
import dev.dualnet.common.Json;
import dev.dualnet.trainer.testing.RealMnist;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The native allocator, OpenMP wait and collector the launcher gives training, as the run records them. */
class LauncherAllocatorTest {
    @TempDir
    Path dir;

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
        try (DualnetProcess trainer = DualnetProcess.start(List.of("train", "--preset", "seed", "--epochs", "1",
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
