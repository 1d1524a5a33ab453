package dev.dualnet.server.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dualnet.common.Sha256;
import dev.dualnet.runtime.ModelRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checks a version's files against the SHA-256 digests its model card records ({@code onnx.file}
 * and {@code onnx.sha256}, plus {@code onnx.externalData} for weights kept beside the graph), so
 * that weights changed after export are refused rather than served.
 */
final class ModelIntegrity {
    private static final String CARD_FILE = ModelRepository.CARD_FILE;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the check found. */
    enum Status {
        /** Every recorded file matches. */
        VERIFIED,
        /** Nothing is recorded for this version: it loads unverified. */
        UNRECORDED,
        /** A file differs from its digest, or the card cannot be read: the version is refused. */
        REFUSED
    }

    /** @param reason why, in words without absolute paths (null when verified) */
    record Result(Status status, String reason) {}

    private ModelIntegrity() {}

    /**
     * @param entry the repository entry directory ({@code ROOT/NAME})
     * @param modelFile the version's model file inside it
     */
    static Result check(Path entry, Path modelFile) {
        Path card = entry.resolve(CARD_FILE);
        if (!Files.isRegularFile(card)) {
            return new Result(Status.UNRECORDED, "it has no " + CARD_FILE);
        }
        JsonNode onnx;
        try {
            onnx = JSON.readTree(card.toFile()).path("onnx");
        } catch (IOException e) {
            return new Result(Status.REFUSED, CARD_FILE + " is not readable JSON");
        }
        String relative = entry.relativize(modelFile).toString().replace('\\', '/');
        if (!onnx.path("file").asText("").equals(relative) || !onnx.path("sha256").isTextual()) {
            return new Result(Status.UNRECORDED, CARD_FILE + " records no SHA-256 for " + relative);
        }
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put(relative, onnx.get("sha256").asText());
        for (Map.Entry<String, JsonNode> data : onnx.path("externalData").properties()) {
            expected.put(data.getKey(), data.getValue().asText());
        }
        for (Map.Entry<String, String> file : expected.entrySet()) {
            Path path = entry.resolve(file.getKey()).normalize();
            if (!path.startsWith(entry)) {
                return new Result(Status.REFUSED, CARD_FILE + " names a file outside the model's directory");
            }
            String actual;
            try {
                actual = Sha256.of(path);
            } catch (IOException e) {
                return new Result(Status.REFUSED, file.getKey() + " recorded in " + CARD_FILE + " cannot be read");
            }
            if (!actual.equalsIgnoreCase(file.getValue())) {
                return new Result(Status.REFUSED, file.getKey() + " does not match the SHA-256 recorded in " + CARD_FILE
                        + " (recorded " + abbreviate(file.getValue()) + ", found " + abbreviate(actual)
                        + "): the file changed after export");
            }
        }
        return new Result(Status.VERIFIED, null);
    }

    private static String abbreviate(String digest) {
        return digest.length() > 12 ? digest.substring(0, 12) + "..." : digest;
    }
}
