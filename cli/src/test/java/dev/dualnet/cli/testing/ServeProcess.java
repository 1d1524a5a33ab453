package dev.dualnet.cli.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code dualnet serve} in a child JVM on any free ports, as a user starts it: the ports are read
 * from the lines it prints once it listens. Closing sends SIGTERM and waits for it to exit.
 */
public final class ServeProcess implements AutoCloseable {
    private static final Pattern HTTP = Pattern.compile("listening on http://[^:]+:(\\d+)");
    private static final Pattern GRPC = Pattern.compile("gRPC \\(Open Inference Protocol\\) listening on [^:]+:(\\d+)");

    private final Process process;
    private final int httpPort;
    private final int grpcPort;
    private final List<String> output;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ServeProcess(Process process, int httpPort, int grpcPort, List<String> output) {
        this.process = process;
        this.httpPort = httpPort;
        this.grpcPort = grpcPort;
        this.output = output;
    }

    /**
     * Starts {@code dualnet serve --model-dir REPOSITORY --port 0 --grpc-port 0 ARGS...} and waits
     * until it says where it listens.
     *
     * @throws AssertionError when it exits or says nothing of the kind within 60 s, with what it printed
     */
    public static ServeProcess start(Path repository, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // The heap the launcher gives serve: fixed and touched up front, so that RSS tells native growth.
                "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch",
                "-cp", System.getProperty("java.class.path"),
                "dev.dualnet.cli.Dualnet", "serve", "--model-dir", repository.toString(), "--port", "0",
                "--grpc-port", "0"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Integer> httpPort = new CompletableFuture<>();
        CompletableFuture<Integer> grpcPort = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    output.add(line);
                    Matcher http = HTTP.matcher(line);
                    Matcher grpc = GRPC.matcher(line);
                    if (line.startsWith("dualnet server listening on") && http.find()) {
                        httpPort.complete(Integer.parseInt(http.group(1)));
                    } else if (line.startsWith("gRPC") && grpc.find()) {
                        grpcPort.complete(Integer.parseInt(grpc.group(1)));
                    }
                }
            } catch (IOException e) {
                output.add("(output reader stopped: " + e.getMessage() + ")");
            }
            IllegalStateException ended = new IllegalStateException("dualnet serve ended");
            httpPort.completeExceptionally(ended);
            grpcPort.completeExceptionally(ended);
        }, "serve-output");
        reader.setDaemon(true);
        reader.start();
        try {
            CompletableFuture.allOf(httpPort, grpcPort).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            throw new AssertionError("dualnet serve did not say where it listens:\n" + String.join("\n", output));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted while dualnet serve started", e);
        }
        return new ServeProcess(process, httpPort.join(), grpcPort.join(), output);
    }

    /** The server's resident memory now, from /proc. */
    public long rssKiB() throws IOException {
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for process " + process.pid());
    }

    /** The child process, for tests that signal it themselves. */
    public Process process() {
        return process;
    }

    public int httpPort() {
        return httpPort;
    }

    public int grpcPort() {
        return grpcPort;
    }

    /** {@code http://127.0.0.1:PORT}. */
    public URI base() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(base().resolve(path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Everything the server printed so far, standard output and error together. */
    public String output() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    /** Sends SIGTERM and waits up to 30 s for the server to drain and exit, then kills it. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
