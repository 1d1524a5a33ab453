package dev.dualnet.server.models;

import dev.dualnet.common.Sha256;
import dev.dualnet.runtime.ModelRepository;
import dev.dualnet.runtime.config.ModelConfigFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a version was loaded from, to tell whether the repository changed under it: the digests of
 * the entry's config and card, and the size and modification time of every file in the version
 * directory (the model, its external data, its parity bundle).
 */
record VersionFingerprint(String config, String card, List<String> files) {
    VersionFingerprint {
        files = List.copyOf(files);
    }

    static VersionFingerprint of(Path entryDir, long version) {
        List<String> files = new ArrayList<>();
        Path versionDir = entryDir.resolve(Long.toString(version));
        try (Stream<Path> walk = Files.walk(versionDir)) {
            for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
                files.add(versionDir.relativize(file) + " " + Files.size(file) + " "
                        + Files.getLastModifiedTime(file).toMillis());
            }
        } catch (IOException e) {
            files.add("unreadable: " + e.getClass().getSimpleName());
        }
        return new VersionFingerprint(digest(entryDir.resolve(ModelConfigFile.FILE_NAME)),
                digest(entryDir.resolve(ModelRepository.CARD_FILE)), files);
    }

    private static String digest(Path file) {
        try {
            return Files.isRegularFile(file) ? Sha256.of(file) : "";
        } catch (IOException e) {
            return "unreadable";
        }
    }
}
