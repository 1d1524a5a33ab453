package dev.dualnet.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PresetTest {
    @Test
    void seedPresetHasTheReferenceParameterCount() {
        try (DualNetModel model = DualNetModel.create(Preset.SEED, Device.cpu())) {
            assertThat(model.parameterCount()).isEqualTo(40_397);
        }
    }

    @Test
    void seedPresetHasTheReferenceLayers() {
        DualNetBlock block = Preset.SEED.build();
        List<String> image = describe(block.getImageTrunk());
        // pooling before ReLU is the reference's ReLU-then-pool: ReLU commutes with a maximum
        assertThat(image).containsExactly("Conv2d(6,k5)", "MaxPool2d(kernel=2, stride=2)", "ReLU", "Conv2d(12,k5)",
                "MaxPool2d(kernel=2, stride=2)", "ReLU", "batchFlatten");
        assertThat(describe(block.getNumberBranch())).containsExactly("OneHot(depth=10)", "Linear", "ReLU");
        assertThat(describe(block.getJoint()))
                .containsExactly("Linear", "ReLU", "Linear", "ReLU", "Linear", "ReLU");
    }

    @Test
    void everyPresetMapsABatchToDigitAndSumLogits() {
        for (Preset preset : Preset.values()) {
            try (DualNetModel model = DualNetModel.create(preset, Device.cpu());
                    NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
                NDList out = model.forward(new NDList(
                        manager.randomUniform(0, 1, new Shape(5, 1, 28, 28)),
                        manager.create(new long[] {0, 3, 9, 1, 7})), false);
                assertThat(out.get(0).getShape()).as(preset.id()).isEqualTo(new Shape(5, 10));
                assertThat(out.get(1).getShape()).as(preset.id()).isEqualTo(new Shape(5, 19));
                assertThat(model.block().getOutputShapes(new Shape[] {new Shape(5, 1, 28, 28), new Shape(5)}))
                        .containsExactly(new Shape(5, 10), new Shape(5, 19));
            }
        }
    }

    @Test
    void sameSeedGivesSameInitialWeights() {
        Engine engine = Engine.getEngine("PyTorch");
        engine.setRandomSeed(7);
        try (DualNetModel a = DualNetModel.create(Preset.DEFAULT, Device.cpu())) {
            engine.setRandomSeed(7);
            try (DualNetModel b = DualNetModel.create(Preset.DEFAULT, Device.cpu())) {
                a.parameters().forEach(p -> assertThat(p.getValue().getArray().contentEquals(
                        b.parameters().get(p.getKey()).getArray())).as(p.getKey()).isTrue());
            }
        }
    }

    @Test
    void defaultPresetSumHeadReadsTheHundredDigitNumberPairs() {
        try (DualNetModel model = DualNetModel.create(Preset.DEFAULT, Device.cpu())) {
            assertThat(model.block().getSumInput()).isEqualTo(DualNetBlock.SumInput.DIGIT_NUMBER_PAIRS);
            assertThat(model.parameters().get("05sum_weight").getArray().getShape()).isEqualTo(new Shape(19, 100));
        }
        try (DualNetModel model = DualNetModel.create(Preset.SEED, Device.cpu())) {
            assertThat(model.block().getSumInput()).isEqualTo(DualNetBlock.SumInput.JOINT_FEATURES);
            assertThat(model.parameters().get("05sum_weight").getArray().getShape()).isEqualTo(new Shape(19, 45));
        }
    }

    @Test
    void presetsAreFoundByTheirCommandLineName() {
        assertThat(Preset.fromId("seed")).isEqualTo(Preset.SEED);
        assertThatThrownBy(() -> Preset.fromId("big")).hasMessage("unknown preset 'big', expected one of: seed, default");
    }

    private static List<String> describe(Block block) {
        List<String> names = new ArrayList<>();
        for (Block child : ((SequentialBlock) block).getChildren().values()) {
            if (child instanceof Conv2d conv) {
                names.add("Conv2d(" + conv.getFilters() + ",k" + conv.getKernelShape().get(0) + ")");
            } else if (child instanceof LambdaBlock lambda) {
                names.add(lambda.getName());
            } else if (child instanceof MaxPool2d || child instanceof OneHot) {
                names.add(child.toString());
            } else {
                names.add(child.getClass().getSimpleName());
            }
        }
        return names;
    }
}
