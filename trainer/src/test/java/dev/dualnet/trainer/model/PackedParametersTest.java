package dev.dualnet.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PackedParametersTest {
    @ParameterizedTest
    @EnumSource(Preset.class)
    void packingKeepsValuesAndOutputsAndMakesEveryParameterAViewOfOneTensor(Preset preset) {
        Engine.getEngine("PyTorch").setRandomSeed(3);
        try (DualNetModel model = DualNetModel.create(preset, Device.cpu());
                NDManager inputs = NDManager.newBaseManager(Device.cpu())) {
            NDList batch = new NDList(inputs.randomUniform(0, 1, new Shape(4, 1, 28, 28)),
                    inputs.create(new long[] {0, 3, 7, 9}));
            float[] before = model.forward(batch, false).get(1).toFloatArray();
            List<float[]> values = new ArrayList<>();
            model.parameters().values().stream().filter(Parameter::requiresGradient)
                    .forEach(p -> values.add(p.getArray().toFloatArray()));

            PackedParameters packed = model.packParameters();

            assertThat(model.packParameters()).isSameAs(packed);
            assertThat(packed.count()).isEqualTo(values.size());
            assertThat(packed.size()).isEqualTo(model.parameterCount());
            for (int i = 0; i < packed.count(); i++) {
                NDArray array = packed.parameter(i).getArray();
                assertThat(array.toFloatArray()).as(packed.name(i)).containsExactly(values.get(i));
                assertThat(packed.offset(i + 1) - packed.offset(i)).isEqualTo(array.size());
                assertThat(array.hasGradient()).as("%s records gradients", packed.name(i)).isTrue();
            }
            // The forward pass before packing cached the old arrays; the model must use the packed ones.
            assertThat(model.forward(batch, false).get(1).toFloatArray()).containsExactly(before);

            packed.values().addi(1f);
            for (int i = 0; i < packed.count(); i++) {
                float[] now = packed.parameter(i).getArray().toFloatArray();
                for (int k = 0; k < now.length; k++) {
                    assertThat(now[k]).isEqualTo(values.get(i)[k] + 1f);
                }
            }
        }
    }

    @Test
    void loadingParametersIntoAPackedModelIsRefused() throws Exception {
        try (DualNetModel model = DualNetModel.create(Preset.SEED, Device.cpu())) {
            ByteArrayOutputStream saved = new ByteArrayOutputStream();
            model.saveParameters(new DataOutputStream(saved));
            model.packParameters();
            assertThatThrownBy(() -> model.loadParameters(
                    new DataInputStream(new ByteArrayInputStream(saved.toByteArray()))))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("load them before packing");
        }
    }
}
