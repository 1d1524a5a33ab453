package dev.dualnet.packager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.config.ModelConfigFile;
import dev.dualnet.runtime.config.proto.ModelConfigProto.DataType;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The generated config.pbtxt parses as Triton reads it and says what the graph says. */
class TritonConfigsTest {
    private static GraphSignature.Port port(String name, ElementType type, String... dims) {
        return new GraphSignature.Port(name, type, List.of(dims));
    }

    @Test
    void aCommonLeadingSymbolMakesTheModelBatched() throws Exception {
        GraphSignature signature = new GraphSignature(
                List.of(port("image", ElementType.FP32, "N", "3", "28", "28"), port("number", ElementType.INT64, "N")),
                List.of(port("tokens", ElementType.FP16, "N", "T", "8")));
        ModelConfig config = ModelConfigFile.parse(TritonConfigs.of("mixed", signature, 32));

        assertThat(config.getName()).isEqualTo("mixed");
        assertThat(config.getPlatform()).isEqualTo("onnxruntime_onnx");
        assertThat(config.getMaxBatchSize()).isEqualTo(32);
        assertThat(config.getInput(0).getDimsList()).containsExactly(3L, 28L, 28L);
        assertThat(config.getInput(1).getDataType()).isEqualTo(DataType.TYPE_INT64);
        assertThat(config.getInput(1).getDimsList()).containsExactly(1L);
        assertThat(config.getInput(1).getReshape().getShapeList()).isEmpty();
        assertThat(config.getInput(1).hasReshape()).isTrue();
        assertThat(config.getOutput(0).getDataType()).isEqualTo(DataType.TYPE_FP16);
        assertThat(config.getOutput(0).getDimsList()).containsExactly(-1L, 8L);
        assertThat(config.hasDynamicBatching()).isTrue();
    }

    @Test
    void aTensorThatDoesNotScaleWithTheBatchMakesItUnbatched() throws Exception {
        GraphSignature signature = new GraphSignature(List.of(port("image", ElementType.FP32, "N", "3", "32", "32")),
                List.of(port("boxes", ElementType.FP32, "N", "100", "4"), port("anchors", ElementType.FP32, "1", "100", "4")));
        ModelConfig config = ModelConfigFile.parse(TritonConfigs.of("detector", signature, 32));

        assertThat(config.getMaxBatchSize()).isZero();
        assertThat(config.getInput(0).getDimsList()).containsExactly(-1L, 3L, 32L, 32L);
        assertThat(config.getOutput(1).getDimsList()).containsExactly(1L, 100L, 4L);
        assertThat(config.hasDynamicBatching()).isFalse();
    }

    @Test
    void aMaximumBatchOfZeroTurnsBatchingOff() throws Exception {
        GraphSignature signature = new GraphSignature(List.of(port("x", ElementType.FP32, "N", "4")),
                List.of(port("y", ElementType.FP32, "N", "2")));
        ModelConfig config = ModelConfigFile.parse(TritonConfigs.of("plain", signature, 0));

        assertThat(config.getMaxBatchSize()).isZero();
        assertThat(config.getInput(0).getDimsList()).containsExactly(-1L, 4L);
    }
}
