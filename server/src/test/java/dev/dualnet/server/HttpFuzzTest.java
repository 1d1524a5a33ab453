package dev.dualnet.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Generated HTTP requests sent over raw sockets, so that every byte is the test's choice: infer and
 * predict bodies with broken tensors, garbage, truncated and mis-framed bodies, lying binary-data
 * headers, odd URLs, headers and request lines, with valid requests mixed in. Every answer must be
 * orderly: no 5xx, errors as JSON {"error": ...}, correct results for the valid requests, and the
 * server healthy throughout. Failures are collected and reported grouped by kind, not stopped at.
 */
class HttpFuzzTest {
    /** One generated probe per try; a few probes send two pipelined requests. */
    private static final int TRIES = 10_000;
    private static final String SEED = "20261203";
    private static final int READ_TIMEOUT_MILLIS = 5_000;
    /** Closes a socket whose write is stuck behind a server that stopped reading. */
    private static final long HARD_LIMIT_MILLIS = 10_000;
    /** A server that hangs on many probes would otherwise keep the build for hours. */
    private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(80);
    private static final int HEALTH_EVERY = 100;
    /**
     * Zero-row batches (and other zero dims). A server whose ONNX Runtime crashes the JVM on them
     * takes the whole report down with it; {@code -Ddualnet.fuzz.zeroDims=false} leaves them out to
     * see the other failures.
     */
    private static final boolean ZERO_DIMS = !"false".equalsIgnoreCase(System.getProperty("dualnet.fuzz.zeroDims"));
    /** 5xx statuses that are the protocol's own answer to the request, not a server failure. */
    private static final int NOT_IMPLEMENTED = 501;
    private static final int VERSION_NOT_SUPPORTED = 505;
    private static final ObjectMapper JSON = TestServer.mapper();

    private static Path dir;
    private static TestServer server;
    private static int port;
    private static Digits digits;
    private static String[] flatImage;
    private static String[] nestedImage;
    private static ScheduledExecutorService watchdog;
    private static final Failures failures = new Failures();
    private static int probes;
    private static int requests;
    private static int skipped;
    private static long startNanos;

    @BeforeContainer
    static void start() throws Exception {
        dir = Files.createTempDirectory("http-fuzz");
        server = TestServer.start(TestServer.repository(dir), true, 200);
        port = server.server().port();
        digits = Digits.load();
        flatImage = new String[digits.count()];
        nestedImage = new String[digits.count()];
        for (int i = 0; i < digits.count(); i++) {
            float[] pixels = digits.image(i);
            flatImage[i] = JSON.writeValueAsString(pixels);
            float[][][] nested = new float[1][28][28];
            for (int p = 0; p < 784; p++) {
                nested[0][p / 28][p % 28] = pixels[p];
            }
            nestedImage[i] = JSON.writeValueAsString(nested);
        }
        // The adder probes below are written for this interface.
        assertThat(server.get("/v2/models/adder").body()).contains(
                "{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[-1,3]}",
                "{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[-1]}", "\"name\":\"total\"");
        watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "http-fuzz-watchdog");
            t.setDaemon(true);
            return t;
        });
        startNanos = System.nanoTime();
    }

    @AfterContainer
    static void stop() throws IOException {
        if (watchdog != null) {
            watchdog.shutdownNow();
        }
        if (server != null) {
            server.close();
        }
        if (dir != null) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Property(tries = TRIES, seed = SEED, generation = GenerationMode.RANDOMIZED, edgeCases = EdgeCasesMode.MIXIN,
            shrinking = ShrinkingMode.OFF, afterFailure = AfterFailureMode.PREVIOUS_SEED)
    void everyRequestGetsAnOrderlyAnswer(@ForAll("probes") Probe probe) {
        if (System.nanoTime() - startNanos > BUDGET_NANOS) {
            skipped++;
            return;
        }
        probes++;
        requests += probe.wants().size();
        judge(probe, exchange(probe));
        if (probes % HEALTH_EVERY == 0) {
            checkHealth(probe);
        }
    }

    @AfterProperty
    void answersWereOrderly() {
        // Through the ordinary client: the server must still serve one after all that.
        try {
            HttpResponse<String> after = server.post("/predict", "{\"image\":" + flatImage[0] + ",\"number\":"
                    + digits.number(0) + "}");
            if (after.statusCode() != 200 || TestServer.json(after).path("digit").asInt(-1) != digits.expectedDigit(0)) {
                failures.add("no correct /predict after the run: " + after.statusCode(), "final", new byte[0], after.body());
            }
        } catch (IOException e) {
            failures.add("no /predict answer after the run", "final", new byte[0], String.valueOf(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (skipped > 0) {
            failures.add("time budget of " + TimeUnit.NANOSECONDS.toSeconds(BUDGET_NANOS) + " s spent: " + skipped
                    + " probes not sent", "budget", new byte[0], "");
        }
        String report = failures.report(probes, requests);
        assertThat(failures.count()).withFailMessage("%s", report).isZero();
        assertThat(probes).as("probes sent").isEqualTo(TRIES);
        assertThat(requests).as("requests sent").isGreaterThanOrEqualTo(TRIES);
    }

    // ---------------------------------------------------------------- generators

    @Provide
    Arbitrary<Probe> probes() {
        return Arbitraries.frequencyOf(
                Tuple.of(22, valid()),
                Tuple.of(16, brokenTensors()),
                Tuple.of(8, batchDims()),
                Tuple.of(6, garbage()),
                Tuple.of(9, framing()),
                Tuple.of(5, binaryLies()),
                Tuple.of(5, predictMistakes()),
                Tuple.of(10, oddUrls()),
                Tuple.of(11, oddHeaders()),
                Tuple.of(6, requestLines()),
                Tuple.of(2, pipelined()));
    }

    private static Arbitrary<Integer> digit() {
        return Arbitraries.integers().between(0, digits.count() - 1);
    }

    private static Arbitrary<String> inferRoute() {
        return Arbitraries.of("/v2/models/dualnet/infer", "/v2/models/seed/infer", "/v2/models/dualnet/versions/1/infer",
                "/v2/models/seed/versions/1/infer");
    }

    /** Valid requests whose answers are checked. */
    private Arbitrary<Probe> valid() {
        Arbitrary<List<Integer>> rows = digit().list().ofMinSize(1).ofMaxSize(4);
        Arbitrary<Probe> infer = Combinators.combine(inferRoute(), rows, Arbitraries.of(false, true),
                Arbitraries.of(List.<String>of(), List.of("digit"), List.of("sum"), List.of("sum", "digit")),
                Arbitraries.strings().alpha().numeric().ofMaxLength(12).injectNull(0.5))
                .as((route, r, nested, outputs, id) -> {
                    Sample s = inferSample(r, nested, outputs, id);
                    return probe("valid/infer", post(route, s.body()), ok(s.check()));
                });
        Arbitrary<Probe> predict = Combinators.combine(rows, Arbitraries.of(false, true),
                Arbitraries.of("/predict", "/predict?model=seed", "/predict?model=dualnet"))
                .as((r, list, route) -> {
                    Sample s = predictSample(r, list);
                    return probe("valid/predict", post(route, s.body()), ok(s.check()));
                });
        Arbitrary<Probe> adder = Combinators.combine(Arbitraries.integers().between(-50, 50).list().ofMinSize(3)
                        .ofMaxSize(12).map(l -> l.subList(0, l.size() / 3 * 3)),
                Arbitraries.of("/v2/models/adder/infer", "/v2/models/adder/versions/1/infer"))
                .as(HttpFuzzTest::adderProbe);
        Arbitrary<Probe> binary = Combinators.combine(rows, inferRoute()).as((r, route) -> {
            Binary b = binaryBody(r, r.size(), r.size() * 3136L, r.size() * 8L);
            Sample s = new Sample(b.body(), inferCheck(r, List.of(), null));
            return probe("valid/binary-data", http("POST " + route + " HTTP/1.1", List.of(host(),
                    "Content-Type: application/octet-stream", "Inference-Header-Content-Length: " + b.jsonLength(),
                    "Content-Length: " + b.body().length, "Connection: close"), b.body()), ok(s.check()));
        });
        Arbitrary<Probe> chunked = Combinators.combine(rows, inferRoute(),
                Arbitraries.integers().between(1, 9000).list().ofMinSize(1).ofMaxSize(8),
                Arbitraries.of("", ";ext=1", ";a=\"b c\""), Arbitraries.of(true, false), Arbitraries.of(true, false))
                .as((r, route, sizes, ext, upper, trailer) -> {
                    Sample s = inferSample(r, false, List.of(), null);
                    byte[] body = chunk(s.body(), sizes, ext, upper, trailer ? "X-Trailer: yes\r\n" : "");
                    return probe("valid/chunked", http("POST " + route + " HTTP/1.1", List.of(host(),
                            "Content-Type: application/json", "Transfer-Encoding: chunked", "Connection: close"), body),
                            ok(s.check()));
                });
        Arbitrary<Probe> contentTypes = Combinators.combine(digit(), Arbitraries.of("Content-Type: application/json",
                        "Content-Type: application/json; charset=utf-8", "Content-Type: Application/JSON",
                        "content-type: application/json", "CONTENT-TYPE:application/json"),
                        Arbitraries.of("Host: 127.0.0.1", "HOST: localhost", "host: [::1]:80"))
                .as((i, type, hostHeader) -> {
                    Sample s = inferSample(List.of(i), false, List.of(), null);
                    List<String> headers = new ArrayList<>(List.of(hostHeader, "Content-Length: " + s.body().length,
                            "Connection: close"));
                    if (type != null) {
                        headers.add(type);
                    }
                    return probe("valid/header-spelling", http("POST /v2/models/dualnet/infer HTTP/1.1", headers,
                            s.body()), ok(s.check()));
                });
        Arbitrary<Probe> expect100 = digit().map(i -> {
            Sample s = predictSample(List.of(i), false);
            return probe("valid/expect-100-continue", http("POST /predict HTTP/1.1", List.of(host(),
                    "Content-Type: application/json", "Expect: 100-continue", "Content-Length: " + s.body().length,
                    "Connection: close"), s.body()), ok(s.check()));
        });
        Arbitrary<Probe> gets = Arbitraries.of(
                getOk("/v2/health/live", json(j -> j.path("live").asBoolean() ? null : "not live")),
                getOk("/v2/health/ready", json(j -> j.path("ready").asBoolean() ? null : "not ready")),
                getOk("/v2", json(j -> "dualnet".equals(j.path("name").asText()) ? null : "name " + j.path("name"))),
                getOk("/v2/models/dualnet", json(j -> j.path("inputs").size() == 2 ? null : "inputs " + j.path("inputs"))),
                getOk("/v2/models/seed/versions/1", json(j -> "seed".equals(j.path("name").asText()) ? null : "name")),
                getOk("/v2/models/adder", json(j -> j.path("outputs").size() == 1 ? null : "outputs")),
                getOk("/v2/models/dualnet/ready", json(j -> j.path("ready").asBoolean() ? null : "not ready")),
                getOk("/models", json(j -> j.size() == 3 ? null : "models " + j)),
                getOk("/metrics", a -> a.text().contains("dualnet_") ? null : "no dualnet metrics"),
                probe("valid/head", http("HEAD /v2/health/live HTTP/1.1", List.of(host(), "Connection: close"),
                        new byte[0]), new Want(Expect.OK, true, 0, a -> a.body().length == 0 ? null : "HEAD with a body")),
                probe("valid/http-1.0", http("GET /v2/health/live HTTP/1.0", List.of(), new byte[0]),
                        ok(json(j -> j.path("live").asBoolean() ? null : "not live"))),
                probe("valid/absolute-form", http("GET http://127.0.0.1:" + port + "/v2/health/live HTTP/1.1",
                        List.of(host(), "Connection: close"), new byte[0]), any()),
                probe("valid/leading-empty-line", bytes("\r\nGET /v2/health/live HTTP/1.1\r\n" + host()
                        + "\r\nConnection: close\r\n\r\n"), ok(json(j -> j.path("live").asBoolean() ? null : "not live"))));
        return Arbitraries.frequencyOf(Tuple.of(6, infer), Tuple.of(4, predict), Tuple.of(3, adder), Tuple.of(2, binary),
                Tuple.of(2, chunked), Tuple.of(2, contentTypes), Tuple.of(1, expect100), Tuple.of(3, gets));
    }

    /** One field of an otherwise valid one-row infer body broken. */
    private Arbitrary<Probe> brokenTensors() {
        Arbitrary<Breakage> datatype = Arbitraries.of("\"FP64\"", "\"FP16\"", "\"INT32\"", "\"BYTES\"", "\"BOOL\"", "\"\"",
                "\"FP32 \"", "\"float\"", "7", "null", "[]", "{}", "\"FP3\\u0000\"").map(t -> new Breakage("infer/datatype",
                        i -> inputs(tensor("\"image\"", "[1,1,28,28]", t, flatImage[i]), number(1, digits.number(i)))));
        Arbitrary<Breakage> numberType = Arbitraries.of("\"INT32\"", "\"FP32\"", "\"UINT8\"", "\"BOOL\"", "\"STRING\"")
                .map(t -> new Breakage("infer/datatype", i -> inputs(image(List.of(i)),
                        tensor("\"number\"", "[1]", t, "[" + digits.number(i) + "]"))));
        Arbitrary<Breakage> names = Arbitraries.of("\"picture\"", "\"\"", "\"IMAGE\"", "\"image \"", "\"im\\u0000age\"", "5",
                "null", "\"number\"").map(n -> new Breakage("infer/name", i -> inputs(tensor(n, "[1,1,28,28]", "\"FP32\"",
                        flatImage[i]), number(1, digits.number(i)))));
        Arbitrary<Breakage> inputSets = Arbitraries.of(
                new Breakage("infer/inputs", i -> inputs(image(List.of(i)))),
                new Breakage("infer/inputs", i -> inputs(number(1, digits.number(i)))),
                new Breakage("infer/inputs", i -> inputs(image(List.of(i)), image(List.of(i)), number(1, 1))),
                new Breakage("infer/inputs", i -> inputs(image(List.of(i)), number(1, 1), number(1, 2))),
                new Breakage("infer/inputs", i -> inputs(image(List.of(i)), number(1, 1),
                        tensor("\"extra\"", "[1]", "\"FP32\"", "[1]"))));
        Arbitrary<Breakage> pixel = Arbitraries.of("2.5", "-0.1", "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e39",
                "\"0.5\"", "null", "true", "{}", "0x1", "01", ".5", "+1", "1.", "[]").map(v -> new Breakage("infer/pixel",
                        i -> inputs(tensor("\"image\"", "[1,1,28,28]", "\"FP32\"", flatImage[i].replaceFirst("^\\[[^,]*",
                                "[" + java.util.regex.Matcher.quoteReplacement(v))), number(1, digits.number(i)))));
        Arbitrary<Breakage> numberValue = Arbitraries.of("10", "-1", "1.5", "\"3\"", "null", "true", "9223372036854775807",
                "9223372036854775808", "-9223372036854775809", "1e3", "NaN", "[]", "[3,4]").map(v -> new Breakage("infer/number",
                        i -> inputs(image(List.of(i)), tensor("\"number\"", "[1]", "\"INT64\"", "[" + v + "]"))));
        Arbitrary<Breakage> dataLength = Arbitraries.of(-1, 1, 784, -783, 100_000).map(delta -> new Breakage(
                "infer/data-length", i -> inputs(tensor("\"image\"", "[1,1,28,28]", "\"FP32\"", pixels(i, 784 + delta)),
                        number(1, digits.number(i)))));
        Arbitrary<Breakage> negative = Arbitraries.of("[-1,1,28,28]", "[1,-1,28,28]", "[1,1,28,-28]",
                "[-9223372036854775808,1,28,28]").map(shape -> imageShape("infer/shape-negative", shape));
        Arbitrary<Breakage> huge = Arbitraries.of("[2147483648,1,28,28]", "[4294967296,1,28,28]",
                "[9223372036854775807,1,28,28]", "[18446744073709551617,1,28,28]", "[1e20,1,28,28]", "[1,1,28,28e9]",
                "[4294967296,4294967296,28,28]", "[65536,65536,65536,65536]", "[256,1,28,28]")
                .map(shape -> imageShape("infer/shape-huge", shape));
        Arbitrary<Breakage> rank = Arbitraries.of("[784]", "[1,784]", "[28,28]", "[1,1,28,28,1]", "[]", "[1,1,784,1]",
                "[1.5,1,28,28]", "[\"1\",1,28,28]", "[null,1,28,28]", "{}", "\"1,1,28,28\"", "null", "[[1],1,28,28]")
                .map(shape -> imageShape("infer/shape-rank-or-type", shape));
        Arbitrary<Breakage> zeroShapes = Arbitraries.of("[1,0,28,28]", "[0,9223372036854775807,28,28]",
                "[1,1,0,28]", "[0,1,28,28,0]").map(shape -> new Breakage("infer/shape-zero-dim",
                        i -> inputs(tensor("\"image\"", shape, "\"FP32\"", "[]"), number(1, digits.number(i)))));
        Arbitrary<Breakage> nesting = Arbitraries.integers().between(2, 20_000).map(depth -> new Breakage("infer/nesting",
                i -> inputs(tensor("\"image\"", "[1,1,28,28]", "\"FP32\"", "[".repeat(depth) + "0.5" + "]".repeat(depth)),
                        number(1, 1))));
        Arbitrary<Breakage> deepObject = Arbitraries.integers().between(100, 20_000).map(depth -> new Breakage(
                "infer/nesting", i -> "{\"inputs\":" + "{\"a\":".repeat(depth) + "1" + "}".repeat(depth + 1)));
        Arbitrary<Breakage> structure = Arbitraries.of("{}", "{\"inputs\":{}}", "{\"inputs\":\"x\"}", "{\"inputs\":null}",
                "{\"inputs\":[]}", "{\"inputs\":[1]}", "{\"inputs\":[[]]}", "{\"inputs\":[{}]}", "[]", "5", "\"x\"", "null",
                "true", "{\"inputs\":[{\"name\":\"image\"}]}", "{\"inputs\":[{\"name\":\"image\",\"shape\":[1],"
                        + "\"datatype\":\"FP32\",\"data\":\"abc\"}]}", "{\"inputs\":[{\"name\":\"image\",\"shape\":[1],"
                        + "\"datatype\":\"FP32\",\"data\":{}}]}")
                .map(body -> new Breakage("infer/structure", i -> body));
        Arbitrary<Breakage> extras = Arbitraries.of("\"outputs\":[{\"name\":\"nope\"}]", "\"outputs\":{}",
                "\"outputs\":[{}]", "\"outputs\":[{\"name\":5}]", "\"parameters\":[]", "\"id\":5", "\"id\":{}",
                "\"outputs\":[{\"name\":\"digit\",\"parameters\":{\"binary_data\":\"yes\"}}]",
                "\"parameters\":{\"binary_data_output\":1}").map(extra -> new Breakage("infer/extra-fields",
                        i -> "{" + extra + "," + inputs(image(List.of(i)), number(1, digits.number(i))).substring(1)));
        Arbitrary<Breakage> trailing = Arbitraries.of("}", " x", "{}", ",", "\u0000").map(tail -> new Breakage(
                "infer/trailing-content", i -> inputs(image(List.of(i)), number(1, digits.number(i))) + tail));
        List<Arbitrary<? extends Breakage>> all = new ArrayList<>(List.of(datatype, numberType, names, inputSets, pixel,
                numberValue, dataLength, negative, huge, rank, nesting, deepObject, structure, extras, trailing));
        if (ZERO_DIMS) {
            all.add(zeroShapes);
        }
        Arbitrary<Breakage> breakage = Arbitraries.oneOf(all);
        Arbitrary<Probe> dualnet = Combinators.combine(inferRoute(), digit(), breakage)
                .as((route, i, b) -> probe(b.kind(), post(route, bytes(b.body().apply(i))), refuse()));
        Arbitrary<Probe> adder = Arbitraries.of(
                inputs(tensor("\"x\"", "[2,4]", "\"FP32\"", "[1,2,3,4,5,6,7,8]"), tensor("\"y\"", "[2]", "\"INT64\"", "[1,2]")),
                inputs(tensor("\"x\"", "[2,3]", "\"INT64\"", "[1,2,3,4,5,6]"), tensor("\"y\"", "[2]", "\"INT64\"", "[1,2]")),
                inputs(tensor("\"x\"", "[2,3]", "\"FP32\"", "[1,2,3,4,5,6]"), tensor("\"y\"", "[2]", "\"FP32\"", "[1,2]")),
                inputs(tensor("\"x\"", "[2,3]", "\"FP32\"", "[1,2,3,4,5,6]")),
                inputs(tensor("\"x\"", "[3]", "\"FP32\"", "[1,2,3]"), tensor("\"y\"", "[1]", "\"INT64\"", "[1]")),
                inputs(tensor("\"x\"", "[1,3]", "\"FP32\"", "[1,2,NaN]"), tensor("\"y\"", "[1]", "\"INT64\"", "[1]")))
                .map(body -> probe("adder/broken-tensor", post("/v2/models/adder/infer", bytes(body)), refuse()));
        // Rows that differ between x and y: the model may broadcast or fail, but not with a 5xx.
        Arbitrary<Probe> adderRows = Combinators.combine(Arbitraries.integers().between(ZERO_DIMS ? 0 : 1, 4),
                Arbitraries.integers().between(ZERO_DIMS ? 0 : 1, 4)).as((xr, yr) -> probe("adder/rows",
                post("/v2/models/adder/infer", bytes(inputs(tensor("\"x\"", "[" + xr + ",3]", "\"FP32\"", ones(xr * 3)),
                        tensor("\"y\"", "[" + yr + "]", "\"INT64\"", ones(yr))))), any()));
        return Arbitraries.frequencyOf(Tuple.of(10, dualnet), Tuple.of(1, adder), Tuple.of(1, adderRows));
    }

    /** Image and number batches of independent sizes, each with data that fits its own shape. */
    private Arbitrary<Probe> batchDims() {
        Arbitrary<Integer> rows = ZERO_DIMS ? Arbitraries.of(0, 1, 2, 3, 5) : Arbitraries.of(1, 2, 3, 5);
        return Combinators.combine(inferRoute(), rows, rows, digit()).as((route, imageRows, numberRows, first) -> {
            List<Integer> images = IntStream.range(0, imageRows).mapToObj(k -> (first + k) % digits.count()).toList();
            List<Integer> numbers = IntStream.range(0, numberRows).mapToObj(k -> (first + k) % digits.count()).toList();
            String body = inputs(image(images), tensor("\"number\"", "[" + numberRows + "]", "\"INT64\"",
                    numbers.stream().map(k -> Integer.toString(digits.number(k))).collect(Collectors.joining(",", "[", "]"))));
            if (imageRows != numberRows) {
                return probe("infer/batch-mismatch", post(route, bytes(body)), refuse());
            }
            if (imageRows == 0) {
                return probe("infer/zero-rows", post(route, bytes(body)), any());
            }
            return probe("valid/infer", post(route, bytes(body)), ok(inferCheck(images, List.of(), null)));
        });
    }

    /** Bodies that are not JSON at all, or no longer are. */
    private Arbitrary<Probe> garbage() {
        Arbitrary<String> route = Arbitraries.of("/predict", "/v2/models/dualnet/infer", "/v2/models/adder/infer");
        Arbitrary<Probe> randomBytes = Combinators.combine(route, Arbitraries.bytes().array(byte[].class).ofMaxSize(3000))
                .as((r, b) -> probe("garbage/random-bytes", post(r, b), refuse()));
        Arbitrary<Probe> tokens = Combinators.combine(route, Arbitraries.strings().withChars("{}[],:\"0123456789.eE-+ntrufalsNI\\ ")
                .ofMaxLength(400)).as((r, s) -> probe("garbage/json-tokens", post(r, bytes(s)), refuse()));
        Arbitrary<Probe> truncated = Combinators.combine(digit(), Arbitraries.integers().between(0, 999))
                .as((i, f) -> {
                    byte[] body = inferSample(List.of(i), false, List.of(), null).body();
                    return probe("garbage/truncated-json", post("/v2/models/dualnet/infer",
                            java.util.Arrays.copyOf(body, body.length * f / 1000)), refuse());
                });
        Arbitrary<Probe> mutated = Combinators.combine(digit(), Arbitraries.integers().between(0, 1 << 20).list()
                        .ofMinSize(1).ofMaxSize(12), Arbitraries.strings().withChars("{}[],:\"0-9eE.ntfx\\ \u0000\u00ff")
                        .ofMinLength(12).ofMaxLength(12))
                .as((i, positions, replacements) -> {
                    byte[] body = inferSample(List.of(i), false, List.of(), null).body();
                    for (int k = 0; k < positions.size(); k++) {
                        body[positions.get(k) % body.length] = (byte) replacements.charAt(k);
                    }
                    // A mutation may land inside a pixel and leave a valid request: any orderly answer will do.
                    return probe("garbage/mutated-json", post("/v2/models/dualnet/infer", body), any());
                });
        Arbitrary<Probe> oversized = Arbitraries.integers().between((1 << 20) + 1, (1 << 20) + 300_000).map(n ->
                probe("garbage/over-body-limit", post("/predict", bytes("{\"image\":[" + "0,".repeat(n / 2) + "0]}")),
                        List.of(new Want(Expect.REFUSE_OR_CLOSE, false, 0, null)), true));
        Arbitrary<Probe> invalidUtf8 = Arbitraries.of("{\"inputs\":[{\"name\":\"\u00ff\u00fe\",\"shape\":[1],"
                + "\"datatype\":\"FP32\",\"data\":[1]}]}", "{\"id\":\"\u00c0\u00af\",\"inputs\":[]}", "\u00ef\u00bb\u00bf{}")
                .map(s -> probe("garbage/invalid-utf8", post("/v2/models/dualnet/infer", s.getBytes(ISO_8859_1)), refuse()));
        return Arbitraries.frequencyOf(Tuple.of(3, randomBytes), Tuple.of(3, tokens), Tuple.of(3, truncated),
                Tuple.of(3, mutated), Tuple.of(1, oversized), Tuple.of(1, invalidUtf8));
    }

    /** Body framing the server must notice: short bodies, broken chunked encoding, lying lengths. */
    private Arbitrary<Probe> framing() {
        Arbitrary<byte[]> body = digit().map(i -> inferSample(List.of(i), false, List.of(), null).body());
        String route = "/v2/models/dualnet/infer";
        Arbitrary<Probe> shortBody = Combinators.combine(body, Arbitraries.integers().between(0, 990),
                Arbitraries.integers().between(1, 2_000_000), Arbitraries.of(Ending.HALF_CLOSE, Ending.CLOSE))
                .as((b, f, extra, ending) -> {
                    byte[] sent = java.util.Arrays.copyOf(b, b.length * f / 1000);
                    byte[] request = http("POST " + route + " HTTP/1.1", List.of(host(), "Content-Type: application/json",
                            "Content-Length: " + (sent.length + Math.min(extra, 1_000_000)), "Connection: close"), sent);
                    return ending == Ending.CLOSE ? new Probe("framing/early-close", request, Ending.CLOSE,
                            List.of(new Want(Expect.NONE, false, 0, null)), false)
                            : new Probe("framing/early-eof", request, Ending.HALF_CLOSE, List.of(refuseOrClose()), false);
                });
        Arbitrary<Probe> longerBody = Combinators.combine(body, Arbitraries.integers().between(1, 5000)).as((b, cut) ->
                probe("framing/content-length-short", http("POST " + route + " HTTP/1.1", List.of(host(),
                        "Content-Type: application/json", "Content-Length: " + Math.max(0, b.length - cut),
                        "Connection: close"), b), refuse()));
        Arbitrary<Probe> badChunkSize = Combinators.combine(body, Arbitraries.of("zz", "0x10", "-5", " 5", "", "5 5",
                "fffffffffffffffffffff", "1;", "\u00ff", "+10")).as((b, size) -> new Probe("framing/chunked-bad-size",
                        chunkedRequest(route, bytes(size + "\r\n"), b, bytes("\r\n0\r\n\r\n")), Ending.HALF_CLOSE,
                        List.of(refuseOrClose()), false));
        Arbitrary<Probe> chunkTooLong = Combinators.combine(body, Arbitraries.integers().between(1, 100_000)).as((b, extra) ->
                new Probe("framing/chunk-longer-than-data", chunkedRequest(route,
                        bytes(Integer.toHexString(b.length + extra) + "\r\n"), b, bytes("\r\n0\r\n\r\n")),
                        Ending.HALF_CLOSE, List.of(refuseOrClose()), false));
        Arbitrary<Probe> missingCrlf = Combinators.combine(body, Arbitraries.integers().between(1, 4000)).as((b, split) -> {
            int n = Math.min(split, b.length - 1);
            byte[] first = java.util.Arrays.copyOf(b, n);
            byte[] rest = java.util.Arrays.copyOfRange(b, n, b.length);
            return new Probe("framing/chunked-missing-crlf", chunkedRequest(route, bytes(Integer.toHexString(n) + "\r\n"),
                    concat(first, bytes(Integer.toHexString(rest.length) + "\r\n"), rest), bytes("\r\n0\r\n\r\n")),
                    Ending.HALF_CLOSE, List.of(refuseOrClose()), false);
        });
        Arbitrary<Probe> noLastChunk = body.map(b -> new Probe("framing/chunked-no-last-chunk", chunkedRequest(route,
                bytes(Integer.toHexString(b.length) + "\r\n"), b, bytes("\r\n")), Ending.HALF_CLOSE, List.of(refuseOrClose()),
                false));
        Arbitrary<Probe> bareLf = body.map(b -> new Probe("framing/chunked-bare-lf", chunkedRequest(route,
                bytes(Integer.toHexString(b.length) + "\n"), b, bytes("\n0\n\n")), Ending.HALF_CLOSE, List.of(anyOrClose()),
                false));
        Arbitrary<Probe> bothLengths = Combinators.combine(body, Arbitraries.integers().between(-100, 100)).as((b, delta) ->
                new Probe("framing/chunked-and-content-length", http("POST " + route + " HTTP/1.1", List.of(host(),
                        "Content-Type: application/json", "Content-Length: " + Math.max(0, b.length + delta),
                        "Transfer-Encoding: chunked", "Connection: close"), chunk(b, List.of(b.length), "", false, "")),
                        Ending.HALF_CLOSE, List.of(anyOrClose()), false));
        Arbitrary<Probe> codings = Combinators.combine(body, Arbitraries.of("gzip", "identity", "chunked, gzip", "gzip, chunked",
                "xchunked", "chunked, chunked", "CHUNKED", "chunked;q=1", "")).as((b, coding) -> new Probe(
                        "framing/transfer-coding", http("POST " + route + " HTTP/1.1", List.of(host(),
                                "Content-Type: application/json", "Transfer-Encoding: " + coding, "Connection: close"),
                                coding.toLowerCase(Locale.ROOT).endsWith("chunked") ? chunk(b, List.of(b.length), "", false, "")
                                        : b),
                        Ending.HALF_CLOSE, List.of(new Want(Expect.ANY_OR_CLOSE, false, NOT_IMPLEMENTED, null)), false));
        Arbitrary<Probe> lengths = Combinators.combine(body, Arbitraries.of("abc", "-1", "+5", "5,5", "1e3", "0x10",
                "99999999999999999999", "", " ", "12 34")).as((b, length) -> new Probe("framing/bad-content-length",
                        http("POST " + route + " HTTP/1.1", List.of(host(), "Content-Type: application/json",
                                "Content-Length: " + length, "Connection: close"), b), Ending.HALF_CLOSE,
                        List.of(refuseOrClose()), false));
        Arbitrary<Probe> twoLengths = Combinators.combine(body, Arbitraries.integers().between(-50, 50)).as((b, delta) ->
                new Probe(delta == 0 ? "framing/duplicate-content-length-same" : "framing/duplicate-content-length",
                        http("POST " + route + " HTTP/1.1", List.of(host(), "Content-Type: application/json",
                                "Content-Length: " + b.length, "Content-Length: " + (b.length + delta), "Connection: close"),
                                b), Ending.HALF_CLOSE, List.of(delta == 0 ? anyOrClose() : refuseOrClose()), false));
        return Arbitraries.oneOf(shortBody, longerBody, badChunkSize, chunkTooLong, missingCrlf, noLastChunk, bareLf,
                bothLengths, codings, lengths, twoLengths);
    }

    /** The binary tensor data extension with lying lengths. */
    private Arbitrary<Probe> binaryLies() {
        Arbitrary<List<Integer>> rows = digit().list().ofMinSize(1).ofMaxSize(3);
        Arbitrary<Probe> header = Combinators.combine(rows, Arbitraries.of("0", "-1", "abc", "", "1e3",
                "99999999999999999999", "2147483648", "JSON-1", "JSON+1", "BODY", "BODY+1", "1")).as((r, lie) -> {
                    Binary b = binaryBody(r, r.size(), r.size() * 3136L, r.size() * 8L);
                    String value = switch (lie) {
                        case "JSON-1" -> Integer.toString(b.jsonLength() - 1);
                        case "JSON+1" -> Integer.toString(b.jsonLength() + 1);
                        case "BODY" -> Integer.toString(b.body().length);
                        case "BODY+1" -> Integer.toString(b.body().length + 1);
                        default -> lie;
                    };
                    return probe("binary/header-length-lie", binaryRequest(b.body(), value), refuse());
                });
        Arbitrary<Probe> sizes = Combinators.combine(rows, Arbitraries.of(-4L, 4L, -3136L, 1L << 40, -1L),
                Arbitraries.of(true, false)).as((r, delta, onImage) -> {
                    long image = r.size() * 3136L + (onImage ? delta : 0);
                    long number = r.size() * 8L + (onImage ? 0 : delta);
                    Binary b = binaryBody(r, r.size(), image, number);
                    return probe("binary/data-size-lie", binaryRequest(b.body(), Integer.toString(b.jsonLength())), refuse());
                });
        Arbitrary<Probe> shortData = Combinators.combine(rows, Arbitraries.integers().between(1, 3000)).as((r, cut) -> {
            Binary b = binaryBody(r, r.size(), r.size() * 3136L, r.size() * 8L);
            byte[] body = java.util.Arrays.copyOf(b.body(), Math.max(b.jsonLength(), b.body().length - cut));
            return probe("binary/data-shorter-than-declared", binaryRequest(body, Integer.toString(b.jsonLength())), refuse());
        });
        Arbitrary<Probe> noHeader = rows.map(r -> {
            Binary b = binaryBody(r, r.size(), r.size() * 3136L, r.size() * 8L);
            return probe("binary/data-without-header", post("/v2/models/dualnet/infer", b.body()), refuse());
        });
        Arbitrary<Probe> nanPixels = rows.map(r -> {
            Binary b = binaryBody(r, r.size(), r.size() * 3136L, r.size() * 8L);
            byte[] body = b.body().clone();
            ByteBuffer.wrap(body, b.jsonLength(), 4).order(ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN);
            return probe("binary/nan-pixel", binaryRequest(body, Integer.toString(b.jsonLength())), refuse());
        });
        Arbitrary<Probe> rowsMismatch = Combinators.combine(rows, Arbitraries.integers().between(1, 4)).as((r, numbers) -> {
            Binary b = binaryBody(r, numbers, r.size() * 3136L, numbers * 8L);
            boolean same = numbers == r.size();
            return probe(same ? "valid/binary-data" : "binary/batch-mismatch",
                    binaryRequest(b.body(), Integer.toString(b.jsonLength())),
                    same ? ok(inferCheck(r, List.of(), null)) : refuse());
        });
        return Arbitraries.oneOf(header, sizes, shortData, noHeader, nanPixels, rowsMismatch);
    }

    /** /predict bodies that are JSON but wrong. */
    private Arbitrary<Probe> predictMistakes() {
        Arbitrary<Probe> fields = Combinators.combine(digit(), Arbitraries.of(
                "\"number\":10", "\"number\":-1", "\"number\":1.5", "\"number\":\"3\"", "\"number\":null", "\"number\":[3]",
                "\"image\":\"***\"", "\"image\":\"aGVsbG8=\"", "\"image\":\"data:image/png;base64,AAAA\"", "\"image\":5",
                "\"image\":[0.5]", "\"image\":null", "\"image\":[[[0.5]]]", "\"image\":{}", "\"image\":[NaN]",
                "\"image\":[" + "2,".repeat(783) + "2]", "\"image\":[" + "0,".repeat(784) + "0]"))
                .as((i, broken) -> {
                    String field = broken.substring(1, broken.indexOf('"', 1));
                    String good = field.equals("number") ? "\"image\":" + flatImage[i] : "\"number\":" + digits.number(i);
                    return probe("predict/" + field, post("/predict", bytes("{" + good + "," + broken + "}")), refuse());
                });
        Arbitrary<Probe> shapes = Arbitraries.of("[]", "{}", "[1]", "[[]]", "[{}]", "[" + "{},".repeat(1024) + "{}]", "5",
                "\"x\"", "null").map(b -> probe("predict/structure", post("/predict", bytes(b)), refuse()));
        Arbitrary<Probe> models = Combinators.combine(digit(), Arbitraries.of("adder", "nope", "%00", "", "dualnet%20",
                "..%2fseed")).as((i, m) -> probe(m.equals("adder") || m.equals("nope") ? "predict/model" : "predict/model-odd",
                        post("/predict?model=" + m, predictSample(List.of(i), false).body()),
                        m.equals("adder") || m.equals("nope") ? refuse() : any()));
        return Arbitraries.oneOf(fields, shapes, models);
    }

    /** Request targets that are odd, encoded, overlong or hostile. */
    private Arbitrary<Probe> oddUrls() {
        Arbitrary<String> target = Arbitraries.oneOf(
                Arbitraries.of("/v2/models/%uff0e%uff0e", "/v2/models/%uff0e%uff0e/infer", "/%u002e%u002e/v2", "/v2/models/%u"),
                Arbitraries.of("/v2/models/%2e%2e/infer", "/v2/models/%2e%2e/%2e%2e/v2/health/live", "/v2/models/..%2f..%2finfer",
                        "/v2/models/dualnet/../seed/infer", "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
                        "/..;/v2/health/live", "/v2/models/.%2e/infer", "/v2/models/%2E%2E%5C%2E%2E/infer", "/.well-known/../v2"),
                Arbitraries.of("/v2/models/dualnet%00/infer", "/v2/models/%00", "/v2/health/live%00", "/%00",
                        "/v2/models/dualnet%0d%0aX-Injected:%201/infer", "/v2/models/dual%0anet"),
                Arbitraries.of("/v2/models/%", "/v2/models/%zz", "/v2/models/%e2%82", "/v2/models/%c0%ae%c0%ae/infer",
                        "/v2/models/%ff", "/v2/models/%25", "/v2/models/dualnet%2finfer", "/v2/models/dualnet%3Finfer"),
                Arbitraries.of("/v2/models/\u6570\u5b57/infer", "/v2/models/\ud83d\ude00", "/v2/models/caf\u00e9/infer")
                        .map(HttpFuzzTest::utf8AsLatin1),
                Arbitraries.of("/v2/models/\u00ff\u00fe/infer", "/v2/models/\u00c0\u00ae", "/\u0080"),
                Arbitraries.of("//v2//models//dualnet//infer", "/v2/models/dualnet/infer/", "/V2/MODELS/DUALNET/INFER",
                        "/v2/models/dualnet/./infer", "/v2/models/dualnet;jsessionid=1/infer", "/v2/models//infer",
                        "/v2/models/dualnet/infer\\", "\\v2\\health\\live", "/v2/models/dualnet/infer#frag",
                        "/v2/health/live?", "/v2/health/live?&&==&a=%zz&b=%00&%ff", "/v2/models/dualnet/infer?" + "q=1&".repeat(500),
                        "/v2/models/dualnet/versions/-1/infer", "/v2/models/dualnet/versions/0/infer",
                        "/v2/models/dualnet/versions/01/infer", "/v2/models/dualnet/versions/2/infer",
                        "/v2/models/dualnet/versions/99999999999999999999/infer", "/v2/models/dualnet/versions/%31/infer",
                        "/v2/models/dualnet/versions//infer", "/v2/models/nope/infer", "/v2/models/adder/versions/x/ready",
                        "/models/nope/card", "/models/dualnet/card", "/models/%2e%2e/card"),
                Arbitraries.integers().between(1_000, 120_000).map(n -> "/v2/models/" + "a".repeat(n) + "/infer"),
                Arbitraries.integers().between(100, 20_000).map(n -> "/v2" + "/..".repeat(n)),
                Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(60).map(s -> "/v2/models/" + s));
        Arbitrary<Probe> gets = Combinators.combine(target, Arbitraries.of("GET", "HEAD", "DELETE", "OPTIONS"))
                .as((t, method) -> probe("url/" + urlKind(t), http(method + " " + t + " HTTP/1.1", List.of(host(),
                        "Connection: close"), new byte[0]), new Want(Expect.ANY, method.equals("HEAD"), 0, noSecrets())));
        Arbitrary<Probe> posts = Combinators.combine(target, digit()).as((t, i) -> probe("url/" + urlKind(t),
                post(t, inferSample(List.of(i), false, List.of(), null).body()), new Want(Expect.ANY, false, 0, noSecrets())));
        Arbitrary<Probe> wrongMethod = Arbitraries.of("GET /v2/models/dualnet/infer", "PUT /predict", "DELETE /v2/models/dualnet",
                "PATCH /v2/health/live", "POST /v2/health/live", "GET /predict").map(line -> probe("url/wrong-method",
                        http(line + " HTTP/1.1", List.of(host(), "Content-Length: 0", "Connection: close"), new byte[0]),
                        refuse()));
        return Arbitraries.frequencyOf(Tuple.of(3, gets), Tuple.of(3, posts), Tuple.of(1, wrongMethod));
    }

    /** Header sizes, counts, spellings and contradictions. */
    private Arbitrary<Probe> oddHeaders() {
        Arbitrary<byte[]> body = digit().map(i -> inferSample(List.of(i), false, List.of(), null).body());
        String route = "/v2/models/dualnet/infer";
        Arbitrary<Probe> huge = Arbitraries.integers().between(16_000, 200_000).map(n -> probe("header/huge-value",
                http("GET /v2/health/live HTTP/1.1", List.of(host(), "X-Fuzz: " + "a".repeat(n), "Connection: close"),
                        new byte[0]), refuse()));
        Arbitrary<Probe> small = Arbitraries.integers().between(1, 4000).map(n -> probe("header/long-value",
                http("GET /v2/health/live HTTP/1.1", List.of(host(), "X-Fuzz: " + "b".repeat(n), "Connection: close"),
                        new byte[0]), ok(null)));
        Arbitrary<Probe> many = Arbitraries.integers().between(1000, 3000).map(n -> probe("header/too-many",
                http("GET /v2/health/live HTTP/1.1", Stream.concat(Stream.of(host(), "Connection: close"),
                        IntStream.range(0, n).mapToObj(k -> "X-H" + k + ": v")).toList(), new byte[0]), refuse()));
        Arbitrary<Probe> noHost = Arbitraries.of("GET /v2/health/live HTTP/1.1", "POST /v2/models/dualnet/infer HTTP/1.1")
                .map(line -> probe("header/missing-host", http(line, List.of("Content-Length: 0", "Connection: close"),
                        new byte[0]), refuse()));
        Arbitrary<Probe> twoHosts = Arbitraries.of("Host: a", "Host: 127.0.0.1").map(second -> probe("header/duplicate-host",
                http("GET /v2/health/live HTTP/1.1", List.of(host(), second, "Connection: close"), new byte[0]), refuse()));
        Arbitrary<Probe> badHost = Arbitraries.of("Host: ", "Host: a b", "Host: [::1", "Host: a:99999999", "Host: \u00ff",
                "Host: a/b").map(h -> probe("header/bad-host", http("GET /v2/health/live HTTP/1.1", List.of(h,
                        "Connection: close"), new byte[0]), any()));
        Arbitrary<Probe> contentType = Combinators.combine(body, Arbitraries.of("text/plain", "text/html", "application/xml",
                "application/x-www-form-urlencoded", "multipart/form-data; boundary=zz", "garbage", ";", "image/png",
                "text/plain; charset=utf-8")).as((b, type) -> probe("header/bad-content-type", http("POST " + route
                        + " HTTP/1.1", List.of(host(), "Content-Type: " + type, "Content-Length: " + b.length,
                        "Connection: close"), b), refuse()));
        // Without a Content-Type a browser may post cross-site with no preflight: refused.
        Arbitrary<Probe> noContentType = body.map(b -> probe("header/no-content-type", http("POST " + route
                + " HTTP/1.1", List.of(host(), "Content-Length: " + b.length, "Connection: close"), b), refuse()));
        Arbitrary<Probe> oddContentType = Combinators.combine(body, Arbitraries.of("application/octet-stream",
                "application/json; charset=utf-16", "application/json; charset=\u00ff", "application/json;;;",
                "application/json; " + "p=1; ".repeat(300), "*/*", "")).as((b, type) -> probe("header/odd-content-type",
                        http("POST " + route + " HTTP/1.1", List.of(host(), "Content-Type: " + type,
                                "Content-Length: " + b.length, "Connection: close"), b), any()));
        Arbitrary<Probe> malformed = Arbitraries.of("Host : x", "X Fuzz: y", "no-colon-here", "X-A: a\r\n b", ": empty-name",
                "X-Nul: a\u0000b", "X-Cr: a\rb", "X-\u00ff: v", "X-A:\u00ff\u00fe", "\tX-Tab: v").map(h -> new Probe(
                        "header/malformed-line", http("GET /v2/health/live HTTP/1.1", List.of(host(), h, "Connection: close"),
                                new byte[0]), Ending.READ, List.of(anyOrClose()), false));
        Arbitrary<Probe> expect = Combinators.combine(body, Arbitraries.of("100-continue, foo", "foo", "200-ok"))
                .as((b, e) -> probe("header/expect", http("POST " + route + " HTTP/1.1", List.of(host(),
                        "Content-Type: application/json", "Expect: " + e, "Content-Length: " + b.length, "Connection: close"),
                        b), any()));
        Arbitrary<Probe> upgrade = Combinators.combine(body, Arbitraries.of("Upgrade: h2c", "Upgrade: websocket",
                "Connection: Upgrade, HTTP2-Settings")).as((b, h) -> probe("header/upgrade", http("POST " + route
                        + " HTTP/1.1", List.of(host(), h, "Content-Type: application/json", "Content-Length: " + b.length),
                        b), any()));
        return Arbitraries.oneOf(huge, small, many, noHost, twoHosts, badHost, contentType, noContentType, oddContentType,
                malformed,
                expect, upgrade);
    }

    /** Request lines of other protocol versions, methods and shapes. */
    private Arbitrary<Probe> requestLines() {
        Arbitrary<Probe> versions = Arbitraries.of("HTTP/2.0", "HTTP/3.0", "HTTP/9.9", "HTTP/1.1.1", "HTTP/1",
                "HTTPS/1.1", "FOO/1.0", "HTTP/1.10", "HTTP/0.9", "HTTP/01.1").map(v -> new Probe("line/http-version",
                        http("GET /v2/health/live " + v, List.of(host(), "Connection: close"), new byte[0]), Ending.READ,
                        List.of(new Want(Expect.REFUSE_OR_CLOSE, false, VERSION_NOT_SUPPORTED, null)), false));
        // Lenient spellings a parser may take for HTTP/1.1: any orderly answer.
        Arbitrary<Probe> spellings = Arbitraries.of("http/1.1", "HTTP/1.2", "Http/1.0").map(v -> new Probe(
                "line/http-version-spelling", http("GET /v2/health/live " + v, List.of(host(), "Connection: close"),
                        new byte[0]), Ending.READ, List.of(new Want(Expect.ANY_OR_CLOSE, false, VERSION_NOT_SUPPORTED, null)),
                false));
        Arbitrary<Probe> http09 = Arbitraries.of("GET /v2/health/live\r\n", "GET /\r\n\r\n", "GET\r\n\r\n")
                .map(line -> new Probe("line/http-0.9", bytes(line), Ending.HALF_CLOSE,
                        List.of(new Want(Expect.REFUSE_OR_CLOSE, false, VERSION_NOT_SUPPORTED, null)), false));
        Arbitrary<Probe> preface = Arbitraries.just(new Probe("line/http2-preface", bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
                Ending.HALF_CLOSE, List.of(new Want(Expect.REFUSE_OR_CLOSE, false, VERSION_NOT_SUPPORTED, null)), false));
        Arbitrary<Probe> methods = Combinators.combine(Arbitraries.of("get", "post", "Get", "FOO", "PROPFIND", "BREW",
                        "M-SEARCH", "QUERY", "TRACE", "CONNECT", "X".repeat(300)),
                        Arbitraries.of("/v2/health/live", "/v2/models/dualnet/infer", "/predict", "*", "127.0.0.1:1"))
                .as((m, t) -> probe("line/method", http(m + " " + t + " HTTP/1.1", List.of(host(), "Content-Length: 0",
                        "Connection: close"), new byte[0]), new Want(Expect.REFUSE, false, NOT_IMPLEMENTED, null)));
        Arbitrary<Probe> shapes = Arbitraries.of("GET  /v2/health/live  HTTP/1.1", "GET /v2/health/live HTTP/1.1 extra",
                "GE T /v2/health/live HTTP/1.1", "G\u0000ET /v2/health/live HTTP/1.1", "GET\t/v2/health/live\tHTTP/1.1",
                " GET /v2/health/live HTTP/1.1", "GET HTTP/1.1", "GET /v2/health/live  ", "/v2/health/live HTTP/1.1",
                "OPTIONS * HTTP/1.1", "GET * HTTP/1.1", "GET v2/health/live HTTP/1.1", "\u00ff\u00fe / HTTP/1.1")
                .map(line -> new Probe("line/shape", http(line, List.of(host(), "Connection: close"), new byte[0]),
                        Ending.HALF_CLOSE, List.of(new Want(Expect.ANY_OR_CLOSE, false, VERSION_NOT_SUPPORTED, null)),
                        false));
        Arbitrary<Probe> bareLf = Arbitraries.just(new Probe("line/bare-lf", bytes("GET /v2/health/live HTTP/1.1\n"
                + host() + "\nConnection: close\n\n"), Ending.HALF_CLOSE, List.of(anyOrClose()), false));
        Arbitrary<Probe> binaryLine = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(600)
                .map(b -> new Probe("line/random-bytes", concat(b, bytes("\r\n\r\n")), Ending.HALF_CLOSE,
                        List.of(anyOrClose()), false));
        return Arbitraries.oneOf(versions, spellings, http09, preface, methods, shapes, bareLf, binaryLine);
    }

    /** Two requests in one write: the server must answer both in order, or the valid one then refuse. */
    private Arbitrary<Probe> pipelined() {
        Arbitrary<Probe> twoValid = digit().map(i -> {
            Sample s = predictSample(List.of(i), false);
            byte[] first = http("GET /v2/health/live HTTP/1.1", List.of(host()), new byte[0]);
            byte[] second = post("/predict", s.body());
            return new Probe("pipelined/valid-then-valid", concat(first, second), Ending.READ,
                    List.of(ok(json(j -> j.path("live").asBoolean() ? null : "not live")), ok(s.check())), false);
        });
        Arbitrary<Probe> thenGarbage = Combinators.combine(digit(), Arbitraries.bytes().array(byte[].class).ofMinSize(1)
                .ofMaxSize(200)).as((i, junk) -> {
                    Sample s = predictSample(List.of(i), false);
                    byte[] first = http("POST /predict HTTP/1.1", List.of(host(), "Content-Type: application/json",
                            "Content-Length: " + s.body().length), s.body());
                    return new Probe("pipelined/valid-then-garbage", concat(first, junk, bytes("\r\n\r\n")), Ending.HALF_CLOSE,
                            List.of(ok(s.check()), anyOrClose()), false);
                });
        return Arbitraries.oneOf(twoValid, thenGarbage);
    }

    // ---------------------------------------------------------------- bodies

    /** A body and the check of a successful answer to it. */
    record Sample(byte[] body, Function<Answer, String> check) {}

    record Binary(byte[] body, int jsonLength) {}

    /** A way to break a one-row infer body of digit i. */
    record Breakage(String kind, Function<Integer, String> body) {}

    private static Breakage imageShape(String kind, String shape) {
        return new Breakage(kind, i -> inputs(tensor("\"image\"", shape, "\"FP32\"", flatImage[i]), number(1, digits.number(i))));
    }

    private static Sample inferSample(List<Integer> rows, boolean nested, List<String> outputs, String id) {
        StringBuilder body = new StringBuilder("{");
        if (id != null) {
            body.append("\"id\":\"").append(id).append("\",");
        }
        if (!outputs.isEmpty()) {
            body.append(outputs.stream().map(o -> "{\"name\":\"" + o + "\"}").collect(Collectors.joining(",", "\"outputs\":[", "],")));
        }
        String imageData = nested ? rows.stream().map(i -> nestedImage[i]).collect(Collectors.joining(",", "[", "]"))
                : pixelsOf(rows);
        body.append(inputs(tensor("\"image\"", "[" + rows.size() + ",1,28,28]", "\"FP32\"", imageData),
                number(rows.size(), rows.stream().mapToInt(digits::number).toArray())).substring(1));
        return new Sample(bytes(body.toString()), inferCheck(rows, outputs, id));
    }

    private static Function<Answer, String> inferCheck(List<Integer> rows, List<String> outputs, String id) {
        return json(j -> {
            if (id != null && !id.equals(j.path("id").asText())) {
                return "id " + j.path("id") + ", expected " + id;
            }
            JsonNode outs = j.path("outputs");
            int expectedOutputs = outputs.isEmpty() ? 2 : outputs.size();
            if (outs.size() != expectedOutputs) {
                return outs.size() + " outputs, expected " + expectedOutputs;
            }
            for (JsonNode out : outs) {
                String name = out.path("name").asText();
                int width = name.equals("digit") ? 10 : 19;
                JsonNode data = out.path("data");
                if (!out.path("shape").toString().equals("[" + rows.size() + "," + width + "]") || data.size() != rows.size() * width) {
                    return name + " has shape " + out.path("shape") + " and " + data.size() + " values for " + rows.size() + " rows";
                }
                for (int r = 0; r < rows.size(); r++) {
                    int expected = name.equals("digit") ? digits.expectedDigit(rows.get(r)) : digits.expectedSum(rows.get(r));
                    int got = argMax(data, r * width, width);
                    if (got != expected) {
                        return name + " of row " + r + " is " + got + ", expected " + expected;
                    }
                }
            }
            return null;
        });
    }

    private static Sample predictSample(List<Integer> rows, boolean list) {
        Function<Integer, String> item = i -> "{\"image\":" + (i % 2 == 0 ? flatImage[i] : nestedImage[i].substring(1,
                nestedImage[i].length() - 1)) + ",\"number\":" + digits.number(i) + "}";
        if (!list) {
            int i = rows.get(0);
            return new Sample(bytes(item.apply(i)), json(j -> predictionMismatch(j, i)));
        }
        String body = rows.stream().map(item).collect(Collectors.joining(",", "[", "]"));
        return new Sample(bytes(body), json(j -> {
            JsonNode predictions = j.path("predictions");
            if (predictions.size() != rows.size()) {
                return predictions.size() + " predictions for " + rows.size() + " items";
            }
            for (int k = 0; k < rows.size(); k++) {
                String mismatch = predictionMismatch(predictions.get(k), rows.get(k));
                if (mismatch != null) {
                    return "item " + k + ": " + mismatch;
                }
            }
            return null;
        }));
    }

    private static String predictionMismatch(JsonNode p, int i) {
        if (p.path("digit").asInt(-1) != digits.expectedDigit(i) || p.path("sum").asInt(-1) != digits.expectedSum(i)) {
            return "digit " + p.path("digit") + " sum " + p.path("sum") + ", expected " + digits.expectedDigit(i) + " and "
                    + digits.expectedSum(i);
        }
        return null;
    }

    private static Probe adderProbe(List<Integer> values, String route) {
        int rows = values.size() / 3;
        float[] x = new float[rows * 3];
        long[] y = new long[rows];
        for (int k = 0; k < x.length; k++) {
            x[k] = values.get(k) / 2f;
        }
        for (int r = 0; r < rows; r++) {
            y[r] = values.get(r * 3) * 3L;
        }
        String body;
        try {
            body = inputs(tensor("\"x\"", "[" + rows + ",3]", "\"FP32\"", JSON.writeValueAsString(x)),
                    tensor("\"y\"", "[" + rows + "]", "\"INT64\"", JSON.writeValueAsString(y)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return probe("valid/adder", post(route, bytes(body)), ok(json(j -> {
            JsonNode total = j.path("outputs").path(0).path("data");
            if (total.size() != x.length) {
                return total.size() + " totals for " + x.length + " values";
            }
            for (int k = 0; k < x.length; k++) {
                // adder weighs the three columns by 1, 2 and 3 before adding y (see ServerApiTest)
                double expected = x[k] * (k % 3 + 1) + y[k / 3];
                if (total.get(k).asDouble() != expected) {
                    return "total " + k + " is " + total.get(k) + ", expected " + expected;
                }
            }
            return null;
        })));
    }

    /** JSON for image and number tensors in the binary layout, with the binary_data_size each declares. */
    private static Binary binaryBody(List<Integer> rows, int numberRows, long imageSize, long numberSize) {
        String json = inputs("{\"name\":\"image\",\"shape\":[" + rows.size() + ",1,28,28],\"datatype\":\"FP32\","
                        + "\"parameters\":{\"binary_data_size\":" + imageSize + "}}",
                "{\"name\":\"number\",\"shape\":[" + numberRows + "],\"datatype\":\"INT64\",\"parameters\":"
                        + "{\"binary_data_size\":" + numberSize + "}}");
        byte[] head = bytes(json);
        ByteBuffer data = ByteBuffer.allocate(rows.size() * 3136 + numberRows * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : rows) {
            for (float f : digits.image(i)) {
                data.putFloat(f);
            }
        }
        for (int k = 0; k < numberRows; k++) {
            data.putLong(digits.number(rows.get(k % rows.size())));
        }
        return new Binary(concat(head, data.array()), head.length);
    }

    private static byte[] binaryRequest(byte[] body, String jsonLength) {
        return http("POST /v2/models/dualnet/infer HTTP/1.1", List.of(host(), "Content-Type: application/octet-stream",
                "Inference-Header-Content-Length: " + jsonLength, "Content-Length: " + body.length, "Connection: close"), body);
    }

    private static String inputs(String... tensors) {
        return "{\"inputs\":[" + String.join(",", tensors) + "]}";
    }

    /** A tensor from raw JSON pieces, so that any token can stand in any place. */
    private static String tensor(String name, String shape, String datatype, String data) {
        return "{\"name\":" + name + ",\"shape\":" + shape + ",\"datatype\":" + datatype + ",\"data\":" + data + "}";
    }

    private static String image(List<Integer> rows) {
        return tensor("\"image\"", "[" + rows.size() + ",1,28,28]", "\"FP32\"", pixelsOf(rows));
    }

    private static String number(int rows, int... values) {
        return tensor("\"number\"", "[" + rows + "]", "\"INT64\"",
                IntStream.of(values).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]")));
    }

    private static String pixelsOf(List<Integer> rows) {
        return rows.stream().map(i -> flatImage[i].substring(1, flatImage[i].length() - 1))
                .collect(Collectors.joining(",", "[", "]"));
    }

    /** {@code count} pixel values starting from digit i's, repeating them as needed. */
    private static String pixels(int i, int count) {
        float[] image = digits.image(i);
        StringBuilder out = new StringBuilder(count * 6).append('[');
        for (int p = 0; p < count; p++) {
            out.append(p == 0 ? "" : ",").append(image[p % 784]);
        }
        return out.append(']').toString();
    }

    private static String ones(int n) {
        return IntStream.range(0, n).mapToObj(k -> "1").collect(Collectors.joining(",", "[", "]"));
    }

    private static int argMax(JsonNode data, int from, int width) {
        int best = 0;
        for (int k = 1; k < width; k++) {
            if (data.get(from + k).asDouble() > data.get(from + best).asDouble()) {
                best = k;
            }
        }
        return best;
    }

    // ---------------------------------------------------------------- raw HTTP

    enum Ending {
        /** Leave the connection open and read the answers. */
        READ,
        /** Shut the sending side, so the server sees the end of the stream, then read. */
        HALF_CLOSE,
        /** Close the socket without reading. */
        CLOSE
    }

    enum Expect {
        /** 2xx, and the check passes. */
        OK,
        /** 4xx. */
        REFUSE,
        /** 4xx, or the connection closed without an answer: the request broke the protocol. */
        REFUSE_OR_CLOSE,
        /** Any status below 500. */
        ANY,
        /** Any status below 500, or closed without an answer. */
        ANY_OR_CLOSE,
        /** Nothing is read. */
        NONE
    }

    /**
     * What one answer must be.
     *
     * @param protocol5xx a 5xx the protocol prescribes for this request (501, 505), 0 for none
     * @param check for a 2xx: null when the answer is right, else what is wrong
     */
    record Want(Expect expect, boolean head, int protocol5xx, Function<Answer, String> check) {}

    /**
     * One generated exchange: the bytes, how the sending side ends, and what each answer must be.
     *
     * @param mayBeCutShort the server may reset the connection while the client still writes (a body over the limit)
     */
    record Probe(String kind, byte[] bytes, Ending ending, List<Want> wants, boolean mayBeCutShort) {
        @Override
        public String toString() {
            return kind + ": " + escape(bytes, 300);
        }
    }

    record Answer(int status, String statusLine, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, UTF_8);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** What came back: the answers read, and why reading stopped early, if it did. */
    record Exchange(List<Answer> answers, String problem, boolean writeFailed, boolean closed) {}

    private static Probe probe(String kind, byte[] bytes, Want want) {
        return new Probe(kind, bytes, Ending.READ, List.of(want), false);
    }

    private static Probe probe(String kind, byte[] bytes, List<Want> wants, boolean mayBeCutShort) {
        return new Probe(kind, bytes, Ending.READ, wants, mayBeCutShort);
    }

    private static Probe getOk(String target, Function<Answer, String> check) {
        return probe("valid/get", http("GET " + target + " HTTP/1.1", List.of(host(), "Connection: close"), new byte[0]),
                ok(check));
    }

    private static Want ok(Function<Answer, String> check) {
        return new Want(Expect.OK, false, 0, check);
    }

    private static Want refuse() {
        return new Want(Expect.REFUSE, false, 0, null);
    }

    private static Want refuseOrClose() {
        return new Want(Expect.REFUSE_OR_CLOSE, false, 0, null);
    }

    private static Want any() {
        return new Want(Expect.ANY, false, 0, null);
    }

    private static Want anyOrClose() {
        return new Want(Expect.ANY_OR_CLOSE, false, 0, null);
    }

    /** For targets that climb out of the static files: a 2xx must not be a file of the machine. */
    private static Function<Answer, String> noSecrets() {
        return a -> a.text().contains("root:") ? "served a file outside the static root" : null;
    }

    private static Function<Answer, String> json(Function<JsonNode, String> check) {
        return a -> {
            try {
                return check.apply(JSON.readTree(a.body()));
            } catch (IOException e) {
                return "body is not JSON: " + abbreviate(a.text(), 80);
            }
        };
    }

    private static String host() {
        return "Host: 127.0.0.1:" + port;
    }

    private static byte[] post(String target, byte[] body) {
        return http("POST " + target + " HTTP/1.1", List.of(host(), "Content-Type: application/json",
                "Content-Length: " + body.length, "Connection: close"), body);
    }

    /** A request from its line and header lines; chars 0x80-0xFF stand for single raw bytes. */
    private static byte[] http(String requestLine, List<String> headers, byte[] body) {
        StringBuilder head = new StringBuilder(requestLine).append("\r\n");
        for (String h : headers) {
            head.append(h).append("\r\n");
        }
        return concat(head.append("\r\n").toString().getBytes(ISO_8859_1), body);
    }

    private static byte[] chunkedRequest(String target, byte[] sizeLine, byte[] data, byte[] tail) {
        return http("POST " + target + " HTTP/1.1", List.of(host(), "Content-Type: application/json",
                "Transfer-Encoding: chunked", "Connection: close"), concat(sizeLine, data, tail));
    }

    /** A chunked body cut at the given sizes (cycled), with optional extensions and a trailer. */
    private static byte[] chunk(byte[] body, List<Integer> sizes, String extension, boolean upper, String trailer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 256);
        int at = 0;
        for (int k = 0; at < body.length; k++) {
            int n = Math.min(sizes.get(k % sizes.size()), body.length - at);
            String hex = Integer.toHexString(n);
            out.writeBytes(bytes((upper ? hex.toUpperCase(Locale.ROOT) : hex) + extension + "\r\n"));
            out.write(body, at, n);
            out.writeBytes(bytes("\r\n"));
            at += n;
        }
        out.writeBytes(bytes("0\r\n" + trailer + "\r\n"));
        return out.toByteArray();
    }

    private static String utf8AsLatin1(String s) {
        return new String(s.getBytes(UTF_8), ISO_8859_1);
    }

    private static String urlKind(String target) {
        String t = target.toLowerCase(Locale.ROOT);
        if (t.length() > 900) {
            return "overlong";
        } else if (t.contains("%u")) {
            return "percent-u";
        } else if (t.contains("%00") || t.contains("%0d") || t.contains("%0a")) {
            return "percent-control";
        } else if (t.contains("..") || t.contains("%2e")) {
            return "dot-segments";
        } else if (t.chars().anyMatch(c -> c >= 0x80)) {
            return "raw-non-ascii";
        } else if (t.matches(".*%([^0-9a-f]|.[^0-9a-f]|$).*") || t.contains("%c0") || t.contains("%ff")
                || t.contains("%e2%82")) {
            return "bad-percent";
        } else if (t.contains("?")) {
            return "query";
        } else if (t.contains("/versions/")) {
            return "versions";
        }
        return "odd-path";
    }

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Sends the probe on a fresh connection and reads as many answers as it expects. */
    private static Exchange exchange(Probe probe) {
        List<Answer> answers = new ArrayList<>();
        boolean writeFailed = false;
        Socket socket = new Socket();
        ScheduledFuture<?> guard = watchdog.schedule(() -> closeQuietly(socket), HARD_LIMIT_MILLIS, TimeUnit.MILLISECONDS);
        try (socket) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MILLIS);
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            try {
                OutputStream out = socket.getOutputStream();
                out.write(probe.bytes());
                out.flush();
                if (probe.ending() == Ending.HALF_CLOSE) {
                    socket.shutdownOutput();
                }
            } catch (IOException e) {
                writeFailed = true; // the server may have answered and closed early: read what it said
            }
            if (probe.ending() == Ending.CLOSE) {
                return new Exchange(answers, null, writeFailed, false);
            }
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            for (Want want : probe.wants()) {
                Answer answer = read(in, want.head());
                if (answer == null) {
                    return new Exchange(answers, "connection closed without an answer", writeFailed, true);
                }
                answers.add(answer);
            }
            return new Exchange(answers, null, writeFailed, false);
        } catch (SocketTimeoutException e) {
            return new Exchange(answers, "no answer in " + READ_TIMEOUT_MILLIS / 1000 + " s", writeFailed, false);
        } catch (ConnectException e) {
            return new Exchange(answers, "cannot connect: " + e.getMessage(), writeFailed, false);
        } catch (SocketException e) {
            boolean stuck = guard.isDone() && !guard.isCancelled();
            return new Exchange(answers, stuck ? "no answer in " + HARD_LIMIT_MILLIS / 1000 + " s (stuck)"
                    : "connection reset: " + e.getMessage(), writeFailed, !stuck);
        } catch (IOException | NumberFormatException e) {
            return new Exchange(answers, "unreadable answer: " + e.getMessage(), writeFailed, false);
        } finally {
            guard.cancel(false);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing is all that is wanted
        }
    }

    /** One HTTP/1.x response, skipping interim 1xx ones; null when the stream ends before any byte. */
    private static Answer read(InputStream in, boolean head) throws IOException {
        while (true) {
            String statusLine = line(in);
            if (statusLine == null) {
                return null;
            }
            String[] parts = statusLine.split(" ", 3);
            int status;
            try {
                status = parts.length >= 2 && parts[0].startsWith("HTTP/") ? Integer.parseInt(parts[1]) : -1;
            } catch (NumberFormatException e) {
                status = -1;
            }
            if (status < 0) {
                throw new IOException("not an HTTP status line: " + abbreviate(statusLine, 80));
            }
            Map<String, String> headers = new LinkedHashMap<>();
            for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                if (colon > 0) {
                    headers.merge(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim(),
                            (a, b) -> a + ", " + b);
                }
            }
            if (status >= 100 && status < 200) {
                continue;
            }
            byte[] body;
            String length = headers.get("content-length");
            if (head || status == 204 || status == 304) {
                body = new byte[0];
            } else if (headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked")) {
                body = dechunk(in);
            } else if (length != null) {
                int n = Integer.parseInt(length.split(",")[0].trim());
                body = in.readNBytes(n);
                if (body.length < n) {
                    throw new EOFException("body ends after " + body.length + " of " + n + " bytes");
                }
            } else {
                body = in.readNBytes(4 << 20);
            }
            return new Answer(status, statusLine, headers, body);
        }
    }

    private static byte[] dechunk(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String size = line(in);
            if (size == null) {
                throw new EOFException("chunked body ends early");
            }
            int n = Integer.parseInt(size.split(";")[0].trim(), 16);
            if (n == 0) {
                for (String t = line(in); t != null && !t.isEmpty(); t = line(in)) {
                    // trailers are not looked at
                }
                return out.toByteArray();
            }
            out.writeBytes(in.readNBytes(n));
            line(in);
        }
    }

    /** A line without its CR LF; null at the end of the stream before any byte. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            out.write(b);
            if (out.size() > 256 << 10) {
                throw new IOException("line longer than 256 KiB");
            }
        }
        if (b == -1 && out.size() == 0) {
            return null;
        }
        String s = out.toString(ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    // ---------------------------------------------------------------- judging

    private static void judge(Probe probe, Exchange x) {
        for (int k = 0; k < x.answers().size(); k++) {
            judgeAnswer(probe, probe.wants().get(k), x.answers().get(k));
        }
        if (x.problem() == null || x.answers().size() >= probe.wants().size()) {
            return;
        }
        Want next = probe.wants().get(x.answers().size());
        boolean closeAllowed = next.expect() == Expect.REFUSE_OR_CLOSE || next.expect() == Expect.ANY_OR_CLOSE
                || next.expect() == Expect.NONE;
        boolean cutShort = (x.writeFailed() || probe.mayBeCutShort()) && x.closed();
        if (!(x.closed() && (closeAllowed || cutShort))) {
            failures.add(x.problem().replaceAll(": .*", ""), probe.kind(), probe.bytes(), x.problem());
        }
    }

    private static void judgeAnswer(Probe probe, Want want, Answer a) {
        int status = a.status();
        String summary = a.statusLine() + " " + abbreviate(a.text(), 160);
        if (status >= 500 && status != want.protocol5xx()) {
            failures.add("status " + status, probe.kind(), probe.bytes(), summary);
        }
        if (status >= 400 && a.body().length > 0) {
            String problem = errorBodyProblem(a);
            if (problem != null) {
                failures.add("error body " + problem + " (" + status + ")", probe.kind(), probe.bytes(), summary);
            }
        }
        boolean success = status >= 200 && status < 300;
        switch (want.expect()) {
            case OK -> {
                if (!success) {
                    if (status < 500) {
                        failures.add("valid request refused with " + status, probe.kind(), probe.bytes(), summary);
                    }
                } else if (want.check() != null) {
                    String wrong = want.check().apply(a);
                    if (wrong != null) {
                        failures.add("wrong answer", probe.kind(), probe.bytes(), wrong);
                    }
                }
            }
            case REFUSE, REFUSE_OR_CLOSE -> {
                if (status < 400) {
                    failures.add("invalid request accepted with " + status, probe.kind(), probe.bytes(), summary);
                }
            }
            default -> {
                if (success && want.check() != null) {
                    String wrong = want.check().apply(a);
                    if (wrong != null) {
                        failures.add("wrong answer", probe.kind(), probe.bytes(), wrong);
                    }
                }
            }
        }
    }

    /** Null when the body is the server's JSON error object, else what it is instead. */
    private static String errorBodyProblem(Answer a) {
        String type = a.header("content-type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            return "is " + (type == null ? "without a content type" : type) + ", not application/json";
        }
        try {
            JsonNode json = JSON.readTree(a.body());
            if (json == null || !json.isObject() || !json.path("error").isTextual()) {
                return "is JSON but not {\"error\": \"...\"}";
            }
            return null;
        } catch (IOException e) {
            return "claims JSON but does not parse";
        }
    }

    private static void checkHealth(Probe after) {
        for (String path : List.of("/v2/health/live", "/v2/health/ready")) {
            byte[] request = http("GET " + path + " HTTP/1.1", List.of(host(), "Connection: close"), new byte[0]);
            Exchange x = exchange(new Probe("health", request, Ending.READ, List.of(ok(null)), false));
            String problem = x.problem() != null ? x.problem()
                    : x.answers().get(0).status() != 200 ? x.answers().get(0).statusLine() : null;
            if (problem != null) {
                failures.add("health " + path + " failed: " + problem.replaceAll(": .*", ""), "after " + after.kind(),
                        after.bytes(), problem);
            }
        }
    }

    // ---------------------------------------------------------------- report

    /** Failures grouped by what went wrong and the kind of request, each with its shortest request. */
    static final class Failures {
        private final Map<String, Group> groups = new LinkedHashMap<>();
        private int count;

        void add(String what, String kind, byte[] request, String detail) {
            count++;
            groups.computeIfAbsent(what + " | " + kind, k -> new Group()).add(request, detail);
        }

        int count() {
            return count;
        }

        String report(int probes, int requests) {
            StringBuilder out = new StringBuilder();
            out.append("HTTP fuzz (seed ").append(SEED).append(", zero dims ").append(ZERO_DIMS ? "in" : "left out")
                    .append("): ").append(probes).append(" probes, ").append(requests).append(" requests, ")
                    .append(count).append(" failures in ").append(groups.size()).append(" kinds");
            groups.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
                Group g = e.getValue();
                out.append("\n  [").append(g.count).append("] ").append(e.getKey())
                        .append("\n      > ").append(escapeRequest(g.request))
                        .append("\n      < ").append(escape(bytes(g.detail), 120));
            });
            return out.toString();
        }
    }

    static final class Group {
        private int count;
        private byte[] request;
        private String detail;

        void add(byte[] request, String detail) {
            count++;
            if (this.request == null || request.length < this.request.length) {
                this.request = request;
                this.detail = detail;
            }
        }
    }

    /** The head up to 300 bytes and the body up to 160, each keeping its start and end when longer. */
    static String escapeRequest(byte[] request) {
        int end = 0;
        while (end + 4 <= request.length && !(request[end] == '\r' && request[end + 1] == '\n' && request[end + 2] == '\r'
                && request[end + 3] == '\n')) {
            end++;
        }
        end = Math.min(end + 4, request.length);
        return escape(java.util.Arrays.copyOf(request, end), 300)
                + escape(java.util.Arrays.copyOfRange(request, end, request.length), 160);
    }

    /** Printable ASCII as is, CR LF as \r\n, everything else as \xNN; long input keeps its start and end. */
    static String escape(byte[] bytes, int max) {
        StringBuilder out = new StringBuilder();
        for (int k = 0; k < bytes.length; k++) {
            if (bytes.length > max && k == max * 3 / 4) {
                out.append("...(").append(bytes.length - max).append(" bytes)...");
                k = bytes.length - max / 4;
            }
            int b = bytes[k] & 0xff;
            if (b == '\r') {
                out.append("\\r");
            } else if (b == '\n') {
                out.append("\\n");
            } else if (b == '\\') {
                out.append("\\\\");
            } else if (b >= 0x20 && b < 0x7f) {
                out.append((char) b);
            } else {
                out.append(String.format("\\x%02x", b));
            }
        }
        return out.toString();
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "...";
    }
}
