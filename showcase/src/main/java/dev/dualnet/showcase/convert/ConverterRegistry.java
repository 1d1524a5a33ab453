package dev.dualnet.showcase.convert;

import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import dev.dualnet.exporter.graph.Value;
import dev.dualnet.trainer.model.InputConv2d;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Finds the converter of each block by its exact class. */
public final class ConverterRegistry {
    private final Map<Class<?>, BlockConverter<?>> converters = new LinkedHashMap<>();

    /** A registry with every converter dualnet ships. */
    public static ConverterRegistry standard() {
        return new ConverterRegistry()
                .register(new SequentialConverter())
                .register(new Conv2dConverter<>(Conv2d.class))
                .register(new Conv2dConverter<>(InputConv2d.class))
                .register(new LinearConverter())
                .register(new BatchNormConverter())
                .register(new DropoutConverter())
                .register(new LambdaBlockConverter())
                .register(new MaxPool2dConverter())
                .register(new AvgPool2dConverter())
                .register(new OneHotConverter())
                .register(new StandardizeConverter())
                .register(new DualNetConverter());
    }

    /** Adds or replaces the converter for its block type. */
    public ConverterRegistry register(BlockConverter<?> converter) {
        converters.put(converter.blockType(), converter);
        return this;
    }

    /**
     * Converts a block with the converter registered for its class.
     *
     * @throws UnsupportedBlockException naming the block's path when no converter is registered
     */
    public List<Value> convert(Block block, String path, List<Value> inputs, ExportContext context) {
        BlockConverter<?> converter = converters.get(block.getClass());
        if (converter == null) {
            throw new UnsupportedBlockException(path, "no ONNX converter for " + block.getClass().getName()
                    + "; supported: " + converters.keySet().stream().map(Class::getSimpleName)
                            .collect(Collectors.joining(", ")));
        }
        return apply(converter, block, path, inputs, context);
    }

    private static <B extends Block> List<Value> apply(BlockConverter<B> converter, Block block, String path,
            List<Value> inputs, ExportContext context) {
        return converter.convert(converter.blockType().cast(block), path, inputs, context);
    }
}
