package dev.dualnet.trainer.data;

import java.util.Map;

/**
 * The training and test splits with the SHA-256 of each file they came from, so a model can be
 * traced back to its data.
 *
 * @param checksums file path to SHA-256, for the four source files
 */
public record MnistData(MnistSplit train, MnistSplit test, Map<String, String> checksums) {
    public MnistData {
        checksums = Map.copyOf(checksums);
    }
}
