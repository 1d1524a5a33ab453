package dev.dualnet.cli.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs the trainer CLI in a child JVM, as the launcher does (with the native allocator the launcher
 * preloads, its OpenMP wait settings and its garbage collector), so tests can kill it like a user's
 * machine would (SIGKILL) and watch its log as it goes.
 */
public final class DualnetProcess implements AutoCloseable {
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());

    private DualnetProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(this::pump, "trainer-stderr");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts the {@code dualnet} command tree with the given arguments, from this JVM's class path. */
    public static DualnetProcess start(List<String> args) throws IOException {
        return start(args, System.getProperty("DJL_CACHE_DIR", ""));
    }

    /** The same, with DJL unpacking its natives into {@code djlCacheDir}. */
    public static DualnetProcess start(List<String> args, String djlCacheDir) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        try {
            Launcher.garbageCollectorOption("train").ifPresent(command::add);
            command.addAll(List.of(
                    "-cp", System.getProperty("java.class.path"),
                    "-Djava.awt.headless=true",
                    "-Dai.djl.offline=true",
                    "-DDJL_CACHE_DIR=" + djlCacheDir,
                    "dev.dualnet.cli.Dualnet"));
            command.addAll(args);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().remove("OMP_WAIT_POLICY");
            builder.environment().remove("GOMP_SPINCOUNT");
            builder.environment().putAll(Launcher.openmpWait());
            Launcher.preloadedAllocator().ifPresent(library -> builder.environment().put("LD_PRELOAD", library));
            return new DualnetProcess(builder.start());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking the launcher for its settings", e);
        }
    }

    /** Runs to completion and returns the exit code. */
    public static int run(List<String> args, long timeoutSeconds) throws Exception {
        try (DualnetProcess trainer = start(args)) {
            return trainer.waitFor(timeoutSeconds);
        }
    }

    /**
     * Waits for a log line containing {@code text}.
     *
     * @return true if it appeared before the timeout and before the process ended
     */
    public boolean awaitLine(String text, long timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line != null && line.contains(text)) {
                return true;
            }
            if (line == null && !process.isAlive() && lines.isEmpty()) {
                return false;
            }
        }
        return false;
    }

    /** Sends SIGKILL and waits for the process to die. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    public int waitFor(long timeoutSeconds) throws InterruptedException {
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("trainer did not finish in " + timeoutSeconds + " s; log:\n" + log());
        }
        return process.exitValue();
    }

    /** Everything the process logged so far. */
    public String log() {
        synchronized (log) {
            return String.join("\n", log);
        }
    }

    private void pump() {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                log.add(line);
                lines.add(line);
            }
        } catch (IOException e) {
            log.add("(log reader stopped: " + e.getMessage() + ")");
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
