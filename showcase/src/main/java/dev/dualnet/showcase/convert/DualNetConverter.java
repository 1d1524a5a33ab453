package dev.dualnet.showcase.convert;

import ai.djl.nn.Block;
import ai.djl.util.Pair;
import dev.dualnet.common.DualNetInterface;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxGraph;
import dev.dualnet.exporter.graph.Value;
import dev.dualnet.trainer.model.DualNetBlock;
import java.util.List;

/**
 * The two-input wiring of {@link DualNetBlock}: image trunk and number branch, {@code Concat} on
 * axis 1, the joint block, then the digit head and the sum head. For
 * {@link DualNetBlock.SumInput#DIGIT_NUMBER_PAIRS} the sum head reads
 * Reshape(Softmax(digit), [-1,10,1]) * Reshape(OneHot(number), [-1,1,10]) flattened to [N,100].
 * Returns the digit and sum logits.
 */
final class DualNetConverter implements BlockConverter<DualNetBlock> {
    @Override
    public Class<DualNetBlock> blockType() {
        return DualNetBlock.class;
    }

    @Override
    public List<Value> convert(DualNetBlock block, String path, List<Value> inputs, ExportContext context) {
        if (inputs.size() != 2) {
            throw new UnsupportedBlockException(path, "expects two inputs (image, number), got " + inputs.size());
        }
        Value image = single(path, convert(block, block.getImageTrunk(), path, List.of(inputs.get(0)), context));
        Value number = single(path, convert(block, block.getNumberBranch(), path, List.of(inputs.get(1)), context));
        Value joined = context.node("Concat", path, List.of(image, number),
                Attributes.none().integer("axis", DualNetBlock.CONCAT_AXIS), OnnxGraph.FLOAT,
                new long[] {image.dim(0), image.dim(1) + number.dim(1)});
        List<Value> shared = convert(block, block.getJoint(), path, List.of(joined), context);
        Value digit = single(path, convert(block, block.getDigitHead(), path, shared, context));
        List<Value> sumInput = block.getSumInput() == DualNetBlock.SumInput.JOINT_FEATURES
                ? shared
                : List.of(digitNumberPairs(digit, inputs.get(1), path, context));
        Value sum = single(path, convert(block, block.getSumHead(), path, sumInput, context));
        return List.of(digit, sum);
    }

    private static Value digitNumberPairs(Value digitLogits, Value number, String path, ExportContext context) {
        int digits = DualNetInterface.DIGITS;
        int numbers = DualNetInterface.NUMBERS;
        String pairsPath = ExportContext.childPath(path, "pairs");
        Value probabilities = context.node("Softmax", pairsPath, List.of(digitLogits),
                Attributes.none().integer("axis", 1), OnnxGraph.FLOAT, digitLogits.shape());
        Value column = reshape(probabilities, new long[] {Value.BATCH, digits, 1}, pairsPath + "_column", context);
        Value oneHot = OneHotConverter.oneHot(number, numbers, pairsPath + "_number", context);
        Value row = reshape(oneHot, new long[] {Value.BATCH, 1, numbers}, pairsPath + "_row", context);
        Value product = context.node("Mul", pairsPath, List.of(column, row), Attributes.none(), OnnxGraph.FLOAT,
                new long[] {Value.BATCH, digits, numbers});
        return reshape(product, new long[] {Value.BATCH, (long) digits * numbers}, pairsPath + "_flat", context);
    }

    private static Value reshape(Value x, long[] shape, String path, ExportContext context) {
        Value target = context.graph().initializer(path + "_shape", shape, shape.length);
        return context.node("Reshape", path, List.of(x, target), Attributes.none(), x.elementType(), shape);
    }

    /** Converts one of the block's parts under the key DJL gave it, which prefixes its parameter names. */
    private static List<Value> convert(DualNetBlock block, Block part, String path, List<Value> inputs,
            ExportContext context) {
        for (Pair<String, Block> child : block.getChildren()) {
            if (child.getValue() == part) {
                return context.convertChild(part, path, child.getKey(), inputs);
            }
        }
        throw new IllegalStateException("part is not a child of its DualNetBlock");
    }

    private static Value single(String path, List<Value> values) {
        if (values.size() != 1) {
            throw new UnsupportedBlockException(path, "a part produced " + values.size() + " tensors, expected 1");
        }
        return values.get(0);
    }
}
