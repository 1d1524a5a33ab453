package dev.dualnet.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A model repository in the Triton layout: {@code ROOT/NAME/config.pbtxt} and
 * {@code ROOT/NAME/VERSION/model.onnx}, versions being positive integers.
 */
public final class ModelRepository {
    public static final String MODEL_FILE = "model.onnx";
    /** What the exporter knows of a model, beside its versions: {@code ROOT/NAME/model_card.json}. */
    public static final String CARD_FILE = "model_card.json";

    private ModelRepository() {}

    /** A model found in a repository: its name, latest version and file. */
    public record Entry(String name, long version, Path modelFile) {}

    /**
     * The ONNX file a path stands for: the path itself when it is a file; {@code DIR/model.onnx}; or
     * the model of the highest version directory of a repository entry.
     */
    public static Path resolveModelFile(Path path) {
        if (!Files.isDirectory(path)) {
            return path;
        }
        Path direct = path.resolve(MODEL_FILE);
        if (Files.isRegularFile(direct)) {
            return direct;
        }
        return latestVersion(path).map(version -> path.resolve(Long.toString(version)).resolve(MODEL_FILE))
                .orElse(direct);
    }

    /** The highest numbered version directory that holds a model file. */
    public static Optional<Long> latestVersion(Path entry) {
        List<Long> versions = versions(entry);
        return versions.isEmpty() ? Optional.empty() : Optional.of(versions.get(versions.size() - 1));
    }

    /** Every numbered version directory that holds a model file, in ascending order; none when unreadable. */
    public static List<Long> versions(Path entry) {
        try (Stream<Path> children = Files.list(entry)) {
            return children.filter(p -> p.getFileName().toString().matches("[1-9][0-9]{0,17}"))
                    .filter(p -> Files.isRegularFile(p.resolve(MODEL_FILE)))
                    .map(p -> Long.parseLong(p.getFileName().toString()))
                    .sorted(Comparator.naturalOrder())
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Every entry of a repository root that has at least one version with a model file, by name.
     *
     * @throws IOException if the root cannot be listed
     */
    public static List<Entry> entries(Path root) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (Stream<Path> children = Files.list(root)) {
            for (Path dir : children.filter(Files::isDirectory).sorted().toList()) {
                latestVersion(dir).ifPresent(version -> entries.add(new Entry(dir.getFileName().toString(), version,
                        dir.resolve(Long.toString(version)).resolve(MODEL_FILE))));
            }
        }
        return entries;
    }
}
