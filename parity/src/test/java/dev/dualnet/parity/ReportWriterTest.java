package dev.dualnet.parity;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
    @TempDir
    Path dir;

    @Test
    void theJunitFileFailsExactlyTheOutputsBeyondToleranceAndTheJsonCarriesBothChecks() throws Exception {
        NamedTensor digit = tensor("digit", 0.6f, 0.4f);
        NamedTensor sum = tensor("sum", 0.2f, 0.8f);
        List<TensorComparison> outputs = List.of(
                TensorComparison.of(digit, tensor("digit", 0.6f, 0.4f), Tolerance.DEFAULTS),
                TensorComparison.of(sum, tensor("sum", 0.9f, 0.1f), Tolerance.DEFAULTS));
        ParityReport report = new ParityReport("bundle", "m.onnx", "parity", "CPU", 1, Tolerance.DEFAULTS, outputs);
        assertThat(report.passed()).isFalse();
        assertThat(report.argmaxAgrees()).isFalse();

        ReportWriter.write(report, dir);

        String junit = Files.readString(dir.resolve(ReportWriter.JUNIT_FILE));
        assertThat(junit).contains("tests=\"2\"", "failures=\"1\"", "name=\"digit\"", "name=\"sum\"");
        assertThat(junit.substring(junit.indexOf("name=\"digit\""), junit.indexOf("name=\"sum\""))).doesNotContain("<failure");
        assertThat(junit.substring(junit.indexOf("name=\"sum\""))).contains("<failure", "argmax check: 0/1 rows agree");

        JsonNode json = new ObjectMapper().readTree(dir.resolve(ReportWriter.JSON_FILE).toFile());
        assertThat(json.get("passed").asBoolean()).isFalse();
        assertThat(json.at("/tolerance/atol").asDouble()).isEqualTo(Tolerance.DEFAULT);
        assertThat(json.at("/outputs/0/passed").asBoolean()).isTrue();
        assertThat(json.at("/outputs/0/argmax/agreements").asLong()).isEqualTo(1);
        assertThat(json.at("/outputs/1/outsideTolerance").asLong()).isEqualTo(2);
        assertThat(json.at("/outputs/1/expectedShape").toString()).isEqualTo("[1,2]");
        assertThat(json.at("/outputs/0").has("worst")).as("all equal: no worst").isFalse();
        // 0.8 -> 0.1 is a little further than 0.2 -> 0.9 in float32.
        assertThat(json.at("/outputs/1/worst/index").asLong()).isEqualTo(1);
        assertThat(json.at("/outputs/1/worst/coordinates").toString()).isEqualTo("[0,1]");
        assertThat(json.at("/outputs/1/worst/expected").floatValue()).isEqualTo(0.8f);
        assertThat(json.at("/outputs/1/worst/actual").floatValue()).isEqualTo(0.1f);
        assertThat(junit).contains("worst at [0, 1]: expected 0.8, got 0.1");
    }

    @Test
    void theConsoleLineNamesTheWorstElementWithBothValues() throws Exception {
        float[] expected = new float[4 * 10];
        float[] actual = new float[4 * 10];
        expected[37] = 0.1234567f;
        actual[37] = 0.125f;
        TensorComparison c = TensorComparison.of(
                new NamedTensor("logits", ElementType.FP32, new long[] {4, 10}, expected),
                new NamedTensor("logits", ElementType.FP32, new long[] {4, 10}, actual), Tolerance.DEFAULTS);

        String line = ReportWriter.describe(c, Tolerance.DEFAULTS);

        assertThat(line).startsWith("logits: FAIL; dtype float32;")
                .contains("; 1 of 40 elements (2.5000%) outside atol 1e-05 and rtol 1e-05; worst at [3, 7]: expected"
                        + " 0.123457, got 0.125; argmax check: 4/4 rows agree (100.00%)");
        NamedTensor ids = new NamedTensor("ids", ElementType.INT64, new long[] {2}, new long[] {1L << 40, 2});
        NamedTensor off = new NamedTensor("ids", ElementType.INT64, new long[] {2}, new long[] {1L << 40, -3});
        assertThat(ReportWriter.describe(TensorComparison.of(ids, off, Tolerance.DEFAULTS), Tolerance.DEFAULTS))
                .endsWith("; worst at [1]: expected 2, got -3");
        NamedTensor mask = new NamedTensor("m", ElementType.BOOL, new long[] {1}, new boolean[] {true});
        NamedTensor flipped = new NamedTensor("m", ElementType.BOOL, new long[] {1}, new boolean[] {false});
        assertThat(ReportWriter.describe(TensorComparison.of(mask, flipped, Tolerance.DEFAULTS), Tolerance.DEFAULTS))
                .endsWith("; worst at [0]: expected true, got false");
        assertThat(ReportWriter.describe(TensorComparison.of(ids, ids, Tolerance.DEFAULTS), Tolerance.DEFAULTS))
                .doesNotContain("worst");
    }

    @Test
    void valuesReadAsSixSignificantDigitsWithoutTrailingZeros() {
        assertThat(ReportWriter.value(0.1234567, ElementType.FP64)).isEqualTo("0.123457");
        assertThat(ReportWriter.value(0.125, ElementType.FP32)).isEqualTo("0.125");
        assertThat(ReportWriter.value(3, ElementType.FP32)).isEqualTo("3");
        assertThat(ReportWriter.value(-1e-7, ElementType.FP32)).isEqualTo("-1e-07");
        assertThat(ReportWriter.value(123456789, ElementType.FP64)).isEqualTo("1.23457e+08");
        assertThat(ReportWriter.value(Double.NaN, ElementType.FP16)).isEqualTo("NaN");
        assertThat(ReportWriter.value(Double.NEGATIVE_INFINITY, ElementType.FP32)).isEqualTo("-Infinity");
        assertThat(ReportWriter.value(200, ElementType.UINT8)).isEqualTo("200");
    }

    private static NamedTensor tensor(String name, float... values) {
        return new NamedTensor(name, ElementType.FP32, new long[] {1, values.length}, values);
    }
}
