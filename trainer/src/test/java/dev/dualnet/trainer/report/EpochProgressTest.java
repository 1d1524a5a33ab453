package dev.dualnet.trainer.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EpochProgressTest {
    @Test
    void logsTheFinishedEpochOnceWithItsFigures() {
        List<String> lines = new ArrayList<>();
        try (EpochProgress progress = new EpochProgress(2, 5, 300, lines::add)) {
            for (int i = 0; i < 3; i++) {
                progress.step(100, 0.5 - 0.1 * i, 0.7 + 0.1 * i, 0.6 + 0.1 * i);
            }
        }
        List<String> finished = lines.stream().filter(line -> line.contains(" 100% ")).toList();
        assertThat(finished).hasSize(1);
        assertThat(finished.get(0)).contains("epoch 2/5", "300/300", "loss 0.3000", "digit 90.00%", "sum 80.00%");
    }
}
