package dev.dualnet.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.server.DualnetServer;
import dev.dualnet.server.http.BufferedBodyHandler;
import dev.dualnet.server.models.ModelStore;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * A server on a free loopback port over a temporary repository holding the runtime module's
 * trained seed model (as "dualnet" and as "seed") and a small generic model ("adder"), plus an
 * HTTP client for it.
 */
public final class TestServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DualnetServer server;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestServer(DualnetServer server) {
        this.server = server;
    }

    /** The trained seed model's repository entry, shared with the runtime tests. */
    public static Path seedEntry() {
        return Path.of(System.getProperty("dualnet.test.models", "../runtime/src/test/resources/models")).resolve("seed");
    }

    /**
     * The two-input adder model of the server's test resources: where the build says they are
     * ({@code dualnet.test.server.models}, for other modules' tests), else on the class path.
     */
    public static Path adderEntry() throws IOException {
        String models = System.getProperty("dualnet.test.server.models");
        if (models != null) {
            return Path.of(models, "adder");
        }
        try {
            return Path.of(TestServer.class.getResource("/models/adder").toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    /**
     * Builds a repository under {@code dir} with dualnet, seed and adder. The copies of the seed
     * model set no batch delay of their own, so that the server's ({@code batchDelayMicros} of
     * {@link #start}, {@code --batch-delay-us}) holds for them.
     */
    public static Path repository(Path dir) throws IOException {
        Path repo = dir.resolve("models");
        for (String name : List.of("dualnet", "seed")) {
            Path config = copyEntry(seedEntry(), repo, name).resolve("config.pbtxt");
            String text = Files.readString(config);
            String withoutDelay = text.replaceAll("(?m)^\\s*max_queue_delay_microseconds:.*\\n", "");
            if (withoutDelay.equals(text)) {
                throw new IllegalStateException(config + " sets no max_queue_delay_microseconds to remove");
            }
            Files.writeString(config, withoutDelay);
        }
        copyEntry(adderEntry(), repo, "adder");
        return repo;
    }

    public static TestServer start(Path repository, boolean batching, long batchDelayMicros) throws IOException {
        return start(settings(repository, batching, batchDelayMicros));
    }

    /** A server whose repository may change while it runs, as {@code control} allows. */
    public static TestServer start(Path repository, boolean batching, long batchDelayMicros, ModelStore.Control control)
            throws IOException {
        return start(settings(repository, batching, batchDelayMicros).withControl(control));
    }

    /**
     * The settings {@link #start(Path, boolean, long)} uses, for tests that change one of them: the
     * gRPC endpoint on a free port too.
     */
    public static DualnetServer.Settings settings(Path repository, boolean batching, long batchDelayMicros) {
        return new DualnetServer.Settings("127.0.0.1", 0, repository,
                new ModelStore.Settings(RuntimeOptions.defaults().withIntraOpThreads(2), batching, 64, batchDelayMicros,
                        256),
                new BufferedBodyHandler.Limits(1 << 20, 30_000, 1024, 1_000), 32, java.util.List.of(), 0);
    }

    public static TestServer start(DualnetServer.Settings settings) throws IOException {
        return new TestServer(DualnetServer.start(settings));
    }

    public DualnetServer server() {
        return server;
    }

    /** The port of the server's gRPC endpoint, on 127.0.0.1. */
    public int grpcPort() {
        return server.grpcPort();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return post(path, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public HttpResponse<String> post(String path, byte[] body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Posts a body in the binary tensor data extension's layout: {@code jsonLength} bytes of JSON,
     * then binary tensor data.
     */
    public HttpResponse<byte[]> postWithBinaryData(String path, byte[] body, int jsonLength)
            throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(path)).header("Inference-Header-Content-Length",
                        Integer.toString(jsonLength)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    public static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    /** Index of the largest value of a JSON array of numbers. */
    public static int argMax(JsonNode values) {
        int best = 0;
        for (int k = 1; k < values.size(); k++) {
            if (values.get(k).asDouble() > values.get(best).asDouble()) {
                best = k;
            }
        }
        return best;
    }

    public static ObjectMapper mapper() {
        return JSON;
    }

    /** Copies a repository entry under another name, which its config.pbtxt then states, as Triton requires. */
    public static Path copyEntry(Path from, Path repository, String name) throws IOException {
        Path to = repository.resolve(name);
        copyTree(from, to);
        Path config = to.resolve("config.pbtxt");
        if (Files.isRegularFile(config)) {
            Files.writeString(config, Files.readString(config).replaceFirst("(?m)^name: \"[^\"]*\"", "name: \"" + name + "\""));
        }
        return to;
    }

    public static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : paths.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }

    @Override
    public void close() {
        server.drainAndStop(5_000);
    }
}
