package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.cli.testing.Launcher;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The launcher's choice of build (DUALNET_BUILD), checked before it builds or runs anything. */
class LauncherBuildTest {
    @Test
    void unknownBuildIsRejectedBeforeAnythingIsBuilt() throws Exception {
        Launcher.Result result = Launcher.run(Map.of("DUALNET_BUILD", "tpu"), "data", "--help");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stderr()).isEqualTo("dualnet: DUALNET_BUILD must be cpu or gpu, not 'tpu'");
        assertThat(result.stdout()).isEmpty();
    }

    @Test
    void helpDocumentsTheBuildChoice() {
        assertThat(Dualnet.commandLine().getUsageMessage()).contains("DUALNET_BUILD", "cpu (the default build) or gpu");
    }
}
