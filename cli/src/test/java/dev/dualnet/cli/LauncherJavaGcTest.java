package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.cli.testing.Launcher;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which garbage collector the launcher gives each command's JVM, and that a caller's choice wins. */
class LauncherJavaGcTest {
    @Test
    void libtorchCommandsGetTheSerialCollectorAndTheServerKeepsTheDefault() throws Exception {
        for (String command : new String[] {"train", "data", "export", "pipeline"}) {
            assertThat(Launcher.garbageCollectorOption(command)).as(command).hasValue("-XX:+UseSerialGC");
        }
        assertThat(Launcher.run(Map.of(), "--java-gc", "parity", "--model", "m", "--checkpoint", "run").stdout())
                .as("parity against the training engine").isEqualTo("-XX:+UseSerialGC");
        assertThat(Launcher.garbageCollectorOption("parity")).as("parity against a bundle").isEmpty();
        assertThat(Launcher.garbageCollectorOption("serve")).isEmpty();
        assertThat(Launcher.garbageCollectorOption("predict")).isEmpty();
    }

    @Test
    void aCollectorTheCallerChoosesInJavaOptsReplacesTheSerialOne() throws Exception {
        Launcher.Result chosen = Launcher.run(Map.of("JAVA_OPTS", "-Xmx2g -XX:+UseG1GC"), "--java-gc", "train");
        assertThat(chosen.exitCode()).isZero();
        assertThat(chosen.stdout()).isEmpty();

        Launcher.Result other = Launcher.run(Map.of("JAVA_OPTS", "-Xmx2g -XX:+UseCompressedOops"), "--java-gc", "train");
        assertThat(other.stdout()).isEqualTo("-XX:+UseSerialGC");
    }

    @Test
    void aMissingOrUnknownCommandIsRefused() throws Exception {
        for (String[] args : new String[][] {{"--java-gc"}, {"--java-gc", "fit"}, {"--java-gc", "--model", "m"}}) {
            Launcher.Result refused = Launcher.run(Map.of(), args);
            assertThat(refused.exitCode()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(refused.stderr()).contains("--java-gc needs a command");
        }
    }

    @Test
    void helpDocumentsTheCollectorChoice() {
        assertThat(Dualnet.commandLine().getUsageMessage()).contains("--java-gc", "-XX:+Use...GC");
    }
}
