package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.cli.testing.Launcher;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the launcher has libtorch's OpenMP threads wait between kernels, and that a caller's choice wins. */
class LauncherOpenMpWaitTest {
    @Test
    void byDefaultThreadsSpinABoundedWhileBeforeTheySleep() throws Exception {
        Map<String, String> wait = Launcher.openmpWait();
        assertThat(wait).containsOnlyKeys("GOMP_SPINCOUNT");
        assertThat(Long.parseLong(wait.get("GOMP_SPINCOUNT"))).isBetween(1L, 1_000_000L);
    }

    @Test
    void aWaitPolicyTheCallerSetsIsKeptAndGetsNoSpinCount() throws Exception {
        Launcher.Result passive = Launcher.run(Map.of("OMP_WAIT_POLICY", "PASSIVE"), "--openmp-wait");
        assertThat(passive.exitCode()).isZero();
        assertThat(passive.stdout()).isEqualTo("OMP_WAIT_POLICY=PASSIVE");
    }

    @Test
    void aSpinCountTheCallerSetsIsKept() throws Exception {
        Launcher.Result spin = Launcher.run(Map.of("GOMP_SPINCOUNT", "5000"), "--openmp-wait");
        assertThat(spin.exitCode()).isZero();
        assertThat(spin.stdout()).isEqualTo("GOMP_SPINCOUNT=5000");
    }

    @Test
    void helpDocumentsTheWaitSettings() throws Exception {
        Launcher.Result help = Launcher.run(Map.of(), "--help");
        assertThat(help.stdout()).contains("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "--openmp-wait");
    }
}
