package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.RawHttp;
import dev.dualnet.server.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests that could crash the server, get a wrong answer or show its internals, each answered
 * with a 4xx JSON error that names no path or library, the server healthy after it.
 */
class HardeningTest {
    /** Words that betray internals: file system paths, native sources, library and class names. */
    private static final List<String> INTERNALS = List.of("/tmp", "/work", "/home", "onnxruntime_src", "model.cc",
            "com.fasterxml", "jackson", "Jackson", "JsonReadFeature", "StreamReadConstraints", "org.eclipse", "jetty",
            "Jetty", "javalin", "Exception", "\tat ", "<html");

    @TempDir
    static Path dir;

    static TestServer server;
    static Digits digits;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(TestServer.repository(dir), true, 200);
        digits = Digits.load();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String infer(String imageShape, int images, String numberShape, long... numbers) throws Exception {
        float[] pixels = new float[images * 784];
        for (int i = 0; i < images; i++) {
            System.arraycopy(digits.image(i), 0, pixels, i * 784, 784);
        }
        return "{\"inputs\":[{\"name\":\"image\",\"shape\":" + imageShape + ",\"datatype\":\"FP32\",\"data\":"
                + TestServer.mapper().writeValueAsString(pixels) + "},{\"name\":\"number\",\"shape\":" + numberShape
                + ",\"datatype\":\"INT64\",\"data\":" + TestServer.mapper().writeValueAsString(numbers) + "}]}";
    }

    private static RawHttp.Response raw(String request) throws Exception {
        try (RawHttp http = new RawHttp(server.server().port(), 10_000)) {
            return http.send(request).read();
        }
    }

    /** A client error: the status, a JSON {"error": ...} naming nothing internal, and a healthy server after. */
    private static void assertClientError(RawHttp.Response response, int status, String... words) throws Exception {
        assertThat(response).as("no response").isNotNull();
        assertThat(response.status()).as(response.text()).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("application/json");
        JsonNode body = TestServer.mapper().readTree(response.body());
        if (words.length > 0) {
            assertThat(body.get("error").asText()).contains(words);
        }
        assertThat(response.text()).doesNotContain(INTERNALS).doesNotContain(dir.toString());
        assertHealthy();
    }

    static void assertHealthy() throws Exception {
        assertThat(server.get("/v2/health/live").statusCode()).isEqualTo(200);
        assertThat(server.get("/v2/health/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void aZeroRowBatchIsRefusedInsteadOfCrashingTheProcess() throws Exception {
        for (String model : List.of("dualnet", "seed")) {
            assertClientError(raw(RawHttp.post("/v2/models/" + model + "/infer", "application/json",
                    infer("[0,1,28,28]", 0, "[0]"))), 400, "at least 1");
        }
        assertClientError(raw(RawHttp.post("/v2/models/adder/infer", "application/json",
                "{\"inputs\":[{\"name\":\"x\",\"shape\":[0,3],\"datatype\":\"FP32\",\"data\":[]},"
                        + "{\"name\":\"y\",\"shape\":[0],\"datatype\":\"FP32\",\"data\":[]}]}")), 400, "at least 1");
        assertThat(TestServer.json(server.post("/predict", "{\"image\":"
                + TestServer.mapper().writeValueAsString(digits.image(0)) + ",\"number\":1}")).get("digit").asInt())
                .isEqualTo(digits.expectedDigit(0));
    }

    @Test
    void aZeroRowBatchIsRefusedWithoutBatchingToo() throws Exception {
        try (TestServer unbatched = TestServer.start(TestServer.repository(dir.resolve("unbatched")), false, 0)) {
            try (RawHttp http = new RawHttp(unbatched.server().port(), 10_000)) {
                RawHttp.Response response = http.send(RawHttp.post("/v2/models/dualnet/infer", "application/json",
                        infer("[0,1,28,28]", 0, "[0]"))).read();
                assertThat(response.status()).as(response.text()).isEqualTo(400);
            }
            assertThat(unbatched.get("/v2/health/ready").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void inputsThatDisagreeOnTheBatchSizeAreRefused() throws Exception {
        assertClientError(raw(RawHttp.post("/v2/models/dualnet/infer", "application/json",
                infer("[2,1,28,28]", 2, "[1]", 3))), 400, "image", "number", "2", "1");
        assertClientError(raw(RawHttp.post("/v2/models/dualnet/infer", "application/json",
                infer("[1,1,28,28]", 1, "[2]", 3, 4))), 400, "image", "number");
    }

    @Test
    void oddUrlsAreClientErrors() throws Exception {
        for (String path : List.of("/v2/models/%uff0e%uff0e", "/v2/models/%uff0e%uff0e/infer", "/v2/models/%2e%2e/ready",
                "/v2/models/%zz", "/v2/models/a%00b", "/v2/models/..%2f..%2fetc")) {
            RawHttp.Response response = raw("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(response.status()).as(path + " " + response.text()).isBetween(400, 499);
            assertClientError(response, response.status());
        }
    }

    @Test
    void malformedChunkedBodiesAreClientErrors() throws Exception {
        String head = "POST /v2/models/dualnet/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n";
        assertClientError(raw(head + "zz\r\n{}\r\n0\r\n\r\n"), 400, "malformed");
        assertClientError(raw(head + "5\r\n{\"inputs\":[]}\r\n0\r\n\r\n"), 400);
    }

    @Test
    void aBodyThatEndsEarlyIsAClientError() throws Exception {
        try (RawHttp http = new RawHttp(server.server().port(), 10_000)) {
            http.send("POST /v2/models/dualnet/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 5000\r\n\r\n{\"inputs\":[").shutdownOutput();
            RawHttp.Response response = http.read();
            if (response != null) {
                assertClientError(response, 400, "ended");
            }
        }
        assertHealthy();
    }

    @Test
    void jsonErrorsNameTheProblemNotTheParser() throws Exception {
        assertClientError(raw(RawHttp.post("/v2/models/dualnet/infer", "application/json",
                "{\"inputs\":[{\"name\":\"image\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[NaN]}]}")), 400,
                "malformed JSON at line 1");
        assertClientError(raw(RawHttp.post("/predict", "application/json", "[".repeat(3000))), 400, "malformed JSON");
        assertClientError(raw(RawHttp.post("/v2/models/dualnet/infer", "application/json", "{\"inputs\":[}")), 400,
                "malformed JSON at line 1, column");
    }

    @Test
    void jettysOwnRefusalsComeBackAsJson() throws Exception {
        assertClientError(raw("GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414, "URI too long");
        assertClientError(raw("GET /v2 HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n"), 431,
                "header");
        assertClientError(raw("GET /v2 HTTP/7.1\r\nHost: x\r\n\r\n"), 505, "HTTP version");
        assertClientError(raw("GARBAGE\r\n\r\n"), 400, "malformed HTTP request");
        assertClientError(raw("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
                400);
    }

    @Test
    void inferEndpointsTakeJsonOrBinaryTensorDataOnly() throws Exception {
        String body = infer("[1,1,28,28]", 1, "[1]", 3);
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", null}) {
            assertClientError(raw(RawHttp.post("/v2/models/dualnet/infer", type, body)), 415, "application/json");
            assertClientError(raw(RawHttp.post("/predict", type, "{\"image\":"
                    + TestServer.mapper().writeValueAsString(digits.image(0)) + ",\"number\":1}")), 415, "application/json");
        }
        RawHttp.Response ok = raw(RawHttp.post("/v2/models/dualnet/infer", "application/json; charset=utf-8", body));
        assertThat(ok.status()).as(ok.text()).isEqualTo(200);
    }

    @Test
    void noCorsHeadersUnlessAnOriginIsAllowed() throws Exception {
        String request = "OPTIONS /v2/models/dualnet/infer HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n"
                + "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n";
        RawHttp.Response preflight = raw(request);
        assertThat(preflight.header("Access-Control-Allow-Origin")).isNull();
        RawHttp.Response simple = raw(RawHttp.post("/v2/models/dualnet/infer", "application/json",
                infer("[1,1,28,28]", 1, "[1]", 3)).replace("Host: 127.0.0.1\r\n", "Host: x\r\nOrigin: https://evil.example\r\n"));
        assertThat(simple.header("Access-Control-Allow-Origin")).isNull();

        DualnetServer.Settings base = TestServer.settings(TestServer.repository(dir.resolve("cors")), true, 200);
        try (TestServer cors = TestServer.start(new DualnetServer.Settings(base.host(), 0, base.modelDir(), base.models(),
                base.body(), base.threads(), List.of("https://app.example")))) {
            try (RawHttp http = new RawHttp(cors.server().port(), 10_000)) {
                RawHttp.Response allowed = http.send(request.replace("https://evil.example", "https://app.example")).read();
                assertThat(allowed.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example");
            }
            try (RawHttp http = new RawHttp(cors.server().port(), 10_000)) {
                assertThat(http.send(request).read().header("Access-Control-Allow-Origin")).isNull();
            }
        }
    }
}
