package dev.dualnet.parity;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dualnet.runtime.DualNetPredictor;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.testing.Fixtures;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The model shipped in the repository's models/dualnet still reproduces its parity bundle. */
class CommittedModelTest {
    private static final Path ENTRY = Path.of(System.getProperty("dualnet.repository", "../models")).resolve("dualnet");

    @Test
    void shippedModelReproducesItsParityBundle() throws Exception {
        ParityBundle bundle = ParityBundle.read(ParityBundle.locate(ENTRY));
        assertThat(bundle.count()).isEqualTo(256);
        try (OnnxModel model = OnnxModel.load(ENTRY, Fixtures.options())) {
            assertThat(DualNetPredictor.hasDualnetInterface(model)).isTrue();
            List<TensorComparison> result = ParityCheck.compare(model, bundle, bundle.tolerance());
            assertThat(result).isNotEmpty().allMatch(TensorComparison::passed);
        }
    }

    @Test
    void modelCardRecordsHowItWasMadeAndHowWellItDoes() throws Exception {
        JsonNode card = new ObjectMapper().readTree(ENTRY.resolve("model_card.json").toFile());
        assertThat(card.get("command").asText()).startsWith("dualnet pipeline");
        assertThat(card.get("training").get("seed").isIntegralNumber()).isTrue();
        assertThat(card.get("preset").asText()).isEqualTo("default");
        assertThat(card.get("finalMetrics").get("testDigitAccuracy").asDouble()).isGreaterThanOrEqualTo(0.99);
        assertThat(card.get("finalMetrics").get("testSumAccuracy").asDouble()).isGreaterThanOrEqualTo(0.989);
        assertThat(card.get("finalMetrics").get("testBothAccuracy").asDouble()).isGreaterThanOrEqualTo(0.987);
        assertThat(ENTRY.resolve("accuracy.png")).isRegularFile();
        assertThat(ENTRY.resolve("config.pbtxt")).content().contains("platform: \"onnxruntime_onnx\"");
    }
}
