package dev.dualnet.cli.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Runs the repository's {@code dualnet} launcher script for its options that need no build. */
public final class Launcher {
    /** Surefire runs each module's tests in the module directory; the launcher sits one level up. */
    public static final Path SCRIPT = Path.of("..", "dualnet").toAbsolutePath().normalize();

    private Launcher() {}

    /** Exit code and both output streams of one launcher call. */
    public record Result(int exitCode, String stdout, String stderr) {}

    public static Result run(Map<String, String> environment, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("dualnet-launcher", ".out");
        Path err = Files.createTempFile("dualnet-launcher", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().remove("DUALNET_MALLOC");
            builder.environment().remove("DUALNET_BUILD");
            builder.environment().remove("OMP_WAIT_POLICY");
            builder.environment().remove("GOMP_SPINCOUNT");
            builder.environment().remove("JAVA_OPTS");
            builder.environment().putAll(environment);
            Process process = builder.start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("launcher did not answer in 60 s: " + command);
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8).strip(),
                    Files.readString(err, StandardCharsets.UTF_8).strip());
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * The OpenMP wait settings the launcher gives the commands it starts when the caller sets none
     * ({@code --openmp-wait}), as environment variables.
     */
    public static Map<String, String> openmpWait() throws IOException, InterruptedException {
        Result result = run(Map.of(), "--openmp-wait");
        if (result.exitCode() != 0) {
            throw new AssertionError("dualnet --openmp-wait failed: " + result);
        }
        Map<String, String> variables = new java.util.LinkedHashMap<>();
        result.stdout().lines().forEach(line -> {
            int equals = line.indexOf('=');
            if (equals < 1) {
                throw new AssertionError("dualnet --openmp-wait printed '" + line + "', expected NAME=VALUE lines");
            }
            variables.put(line.substring(0, equals), line.substring(equals + 1));
        });
        return variables;
    }

    /** The garbage-collector option the launcher gives a command's JVM, if any ({@code --java-gc}). */
    public static Optional<String> garbageCollectorOption(String command) throws IOException, InterruptedException {
        Result result = run(Map.of(), "--java-gc", command);
        if (result.exitCode() != 0) {
            throw new AssertionError("dualnet --java-gc " + command + " failed: " + result);
        }
        return result.stdout().isEmpty() ? Optional.empty() : Optional.of(result.stdout());
    }

    /** The library the launcher preloads into the commands it starts, if any ({@code --native-allocator}). */
    public static Optional<String> preloadedAllocator() throws IOException, InterruptedException {
        Result result = run(Map.of(), "--native-allocator");
        if (result.exitCode() != 0) {
            throw new AssertionError("dualnet --native-allocator failed: " + result);
        }
        return result.stdout().startsWith("tcmalloc ")
                ? Optional.of(result.stdout().substring("tcmalloc ".length()))
                : Optional.empty();
    }
}
