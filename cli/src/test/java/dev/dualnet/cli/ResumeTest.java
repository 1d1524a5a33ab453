package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.cli.testing.DualnetProcess;
import dev.dualnet.trainer.testing.RealMnist;
import dev.dualnet.trainer.train.Checkpoint;
import dev.dualnet.trainer.train.CheckpointState;
import dev.dualnet.trainer.train.EpochMetrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A run killed with SIGKILL during epoch 3 and resumed ends with the same bits as a run that was
 * never stopped: weights, optimizer state and test metrics.
 */
class ResumeTest {
    private static final List<String> RUN = List.of("train", "--preset", "seed", "--epochs", "4",
            "--train-limit", "8000", "--test-limit", "500", "--batch-size", "64", "--seed", "1234");

    @TempDir
    Path dir;

    /** With one intra-op thread and with two, whose kernels split their work across both cores. */
    @ParameterizedTest(name = "--threads {0}")
    @ValueSource(ints = {1, 2})
    void killedDuringEpochThreeAndResumedMatchesAnUninterruptedRunBitForBit(int threads) throws Exception {
        RealMnist.data();
        Path straight = dir.resolve("straight-" + threads);
        Path killed = dir.resolve("killed-" + threads);

        assertThat(DualnetProcess.run(withRunDir(straight, threads), 300)).isZero();

        try (DualnetProcess trainer = DualnetProcess.start(withRunDir(killed, threads))) {
            assertThat(trainer.awaitLine("Starting epoch 3/4", 300)).as(trainer.log()).isTrue();
            Thread.sleep(300);
            trainer.kill();
        }
        CheckpointState afterKill = Checkpoint.read(killed).state();
        assertThat(afterKill.epoch()).as("the kill must land inside epoch 3").isEqualTo(2);

        assertThat(DualnetProcess.run(List.of("train", "--resume", killed.toString()), 300)).isZero();

        Checkpoint expected = Checkpoint.read(straight);
        Checkpoint actual = Checkpoint.read(killed);
        assertThat(actual.state().epoch()).isEqualTo(4);
        assertThat(actual.state().step()).isEqualTo(expected.state().step());
        // Epoch by epoch first, so that a failure names the first epoch where the runs part.
        for (int i = 0; i < 4; i++) {
            EpochMetrics e = expected.state().history().get(i);
            EpochMetrics a = actual.state().history().get(i);
            String epoch = "epoch " + (i + 1) + " of the killed-and-resumed run against the uninterrupted one";
            assertThat(a.trainLoss()).as("%s: training loss", epoch).isEqualTo(e.trainLoss());
            assertThat(a.testLoss()).as("%s: test loss", epoch).isEqualTo(e.testLoss());
            assertThat(a.testBothAccuracy()).as("%s: test accuracy", epoch).isEqualTo(e.testBothAccuracy());
        }
        assertThat(Arrays.mismatch(actual.parameters(), expected.parameters()))
                .as("first byte where the parameters differ (-1: none)").isEqualTo(-1);
        assertThat(Arrays.mismatch(actual.optimizer(), expected.optimizer()))
                .as("first byte where the optimizer states differ (-1: none)").isEqualTo(-1);
    }

    private static List<String> withRunDir(Path runDir, int threads) {
        List<String> args = new ArrayList<>(RUN);
        args.add("--threads");
        args.add(Integer.toString(threads));
        args.add("--run-dir");
        args.add(runDir.toString());
        return args;
    }
}
