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
    }

    private static NamedTensor tensor(String name, float... values) {
        return new NamedTensor(name, ElementType.FP32, new long[] {1, values.length}, values);
    }
}
