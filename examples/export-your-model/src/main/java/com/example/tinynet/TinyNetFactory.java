package com.example.tinynet;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds {@link TinyNet} for DJL's model loading: a model directory's {@code serving.properties}
 * names it as {@code blockFactory=com.example.tinynet.TinyNetFactory}, and DJL (or
 * {@code dualnet export --djl-model}) loads the saved parameters into the block it returns.
 */
public final class TinyNetFactory implements BlockFactory {
    private static final long serialVersionUID = 1L;

    /** The number of classes when the arguments name none. */
    public static final int DEFAULT_CLASSES = 10;

    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
        Object classes = arguments == null ? null : arguments.get("classes");
        return TinyNet.newBlock(classes == null ? DEFAULT_CLASSES : Integer.parseInt(classes.toString()));
    }
}
