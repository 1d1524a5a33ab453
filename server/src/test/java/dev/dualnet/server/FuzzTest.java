package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of malformed requests: random bytes, truncated and mutated JSON, huge arrays, wrong
 * types, deep nesting. None may produce a 5xx, and the server must answer correctly afterwards.
 */
class FuzzTest {
    private static final int REQUESTS = 3000;
    private static final String[] PATHS = {"/predict", "/v2/models/dualnet/infer", "/v2/models/adder/infer"};

    @TempDir
    Path dir;

    @Test
    void malformedRequestsNeverCauseAServerError() throws Exception {
        Random random = new Random(2026);
        Digits digits = Digits.load();
        String validInfer = ServerApiTestBodies.infer(digits, 0);
        String validPredict = "{\"image\":" + TestServer.mapper().writeValueAsString(digits.image(0)) + ",\"number\":3}";
        List<String> failures = new ArrayList<>();
        try (TestServer server = TestServer.start(TestServer.repository(dir), true, 200)) {
            for (int n = 0; n < REQUESTS; n++) {
                String path = PATHS[random.nextInt(PATHS.length)];
                byte[] body = malformed(random, path.equals("/predict") ? validPredict : validInfer);
                HttpResponse<String> response = server.post(path, body);
                if (response.statusCode() >= 500) {
                    failures.add(response.statusCode() + " for " + path + " body "
                            + new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8));
                }
            }
            assertThat(failures).isEmpty();
            HttpResponse<String> after = server.post("/predict", validPredict);
            assertThat(after.statusCode()).isEqualTo(200);
            assertThat(TestServer.json(after).get("digit").asInt()).isEqualTo(digits.expectedDigit(0));
        }
    }

    private static byte[] malformed(Random random, String valid) {
        switch (random.nextInt(9)) {
            case 0: {
                byte[] bytes = new byte[random.nextInt(2000)];
                random.nextBytes(bytes);
                return bytes;
            }
            case 1:
                return valid.substring(0, random.nextInt(valid.length())).getBytes(StandardCharsets.UTF_8);
            case 2: {
                char[] chars = valid.toCharArray();
                for (int i = 0; i < 1 + random.nextInt(20); i++) {
                    chars[random.nextInt(chars.length)] = "{}[],:\"0-9eE.ntfx\\ ".charAt(random.nextInt(19));
                }
                return new String(chars).getBytes(StandardCharsets.UTF_8);
            }
            case 3:
                return ("{\"image\":[" + "0.5,".repeat(100_000) + "0.5],\"number\":1,\"inputs\":[{\"name\":\"image\","
                        + "\"shape\":[100001],\"datatype\":\"FP32\",\"data\":[1]}]}").getBytes(StandardCharsets.UTF_8);
            case 4:
                return ("[".repeat(5000) + "]".repeat(5000)).getBytes(StandardCharsets.UTF_8);
            case 5:
                return ("{\"inputs\":" + "{\"a\":".repeat(3000) + "1" + "}".repeat(3001)).getBytes(StandardCharsets.UTF_8);
            case 6: {
                String[] types = {"\"x\"", "null", "true", "{}", "[]", "-1", "1e400", "\"FP32\"", "[[[]]]", "9999999999999"};
                String field = new String[] {"name", "shape", "datatype", "data", "number", "image", "inputs", "outputs"}
                        [random.nextInt(8)];
                return valid.replaceFirst("\"" + field + "\":", "\"" + field + "\":" + types[random.nextInt(types.length)] + ",\"z\":")
                        .getBytes(StandardCharsets.UTF_8);
            }
            case 7:
                return ("{\"inputs\":[{\"name\":\"image\",\"shape\":[" + random.nextInt(100_000) + ",1,28,28],"
                        + "\"datatype\":\"FP32\",\"data\":[0.1]},{\"name\":\"number\",\"shape\":[1],\"datatype\":\"INT64\","
                        + "\"data\":[" + (random.nextInt(40) - 20) + "]}]}").getBytes(StandardCharsets.UTF_8);
            default:
                return new byte[0];
        }
    }
}
