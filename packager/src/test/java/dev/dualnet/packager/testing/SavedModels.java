package dev.dualnet.packager.testing;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.NormalInitializer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Model directories saved the way a DJL user saves one: a block factory compiled into
 * {@code DIR/classes} (never on the test class path), the jars it needs beside it, parameters
 * written by {@code Model.save}, and a {@code serving.properties} naming the factory.
 */
public final class SavedModels {
    private SavedModels() {}

    /** DJL's model-zoo jar, which the build copies off the class path. */
    public static Path modelZooJar() {
        Path jar = Path.of(System.getProperty("dualnet.test.modelzoo.jar", "target/test-jars/model-zoo.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: the build copies DJL's model zoo there");
        }
        return jar;
    }

    /** DJL's ResNet-20 for 28-pixel images, 10 classes: input [N, 3, 28, 28]. */
    public static Path resnet(Path parent) throws IOException {
        return save(parent, "resnet", "ResNetFactory", """
                return ai.djl.basicmodelzoo.cv.classification.ResNetV1.builder()
                        .setImageShape(new ai.djl.ndarray.types.Shape(3, 28, 28)).setNumLayers(20).setOutSize(10)
                        .build();
                """, List.of(modelZooJar()), new Shape(1, 3, 28, 28));
    }

    /** A batch-first LSTM of 8 units over [N, 5, 4], then a linear layer: input [N, 5, 4], output [N, 5, 3]. */
    public static Path lstm(Path parent) throws IOException {
        return save(parent, "lstm", "LstmFactory", """
                return new ai.djl.nn.SequentialBlock()
                        .add(ai.djl.nn.recurrent.LSTM.builder().setStateSize(8).setNumLayers(2).optBatchFirst(true)
                                .build())
                        .add(ai.djl.nn.core.Linear.builder().setUnits(3).build());
                """, List.of(), new Shape(1, 5, 4));
    }

    /**
     * A linear layer beside the mean over the batch, joined by a lambda: input [N, 4], outputs
     * [N, 3] and [4], the second not scaling with the batch.
     */
    public static Path batchMean(Path parent) throws IOException {
        return save(parent, "stats", "StatsFactory", """
                return new ai.djl.nn.ParallelBlock(
                        list -> new ai.djl.ndarray.NDList(list.get(0).head(), list.get(1).head()),
                        java.util.List.of(ai.djl.nn.core.Linear.builder().setUnits(3).build(),
                                new ai.djl.nn.LambdaBlock(x -> new ai.djl.ndarray.NDList(
                                        x.head().mean(new int[] {0})))));
                """, List.of(), new Shape(1, 4));
    }

    /**
     * A linear layer, then a block that doubles its input but whose own ONNX export multiplies by
     * 2.5: input [N, 4], output [N, 3], and an export that ONNX Runtime shows to be wrong.
     */
    public static Path mistypedExport(Path parent) throws IOException {
        return save(parent, "mistyped", "MistypedFactory", """
                final class Doubling extends ai.djl.nn.AbstractBlock implements dev.dualnet.exporter.OnnxExportable {
                    Doubling() {
                        super((byte) 1);
                    }

                    @Override
                    protected ai.djl.ndarray.NDList forwardInternal(ai.djl.training.ParameterStore store,
                            ai.djl.ndarray.NDList inputs, boolean training, ai.djl.util.PairList<String, Object> params) {
                        return new ai.djl.ndarray.NDList(inputs.head().mul(2f));
                    }

                    @Override
                    public ai.djl.ndarray.types.Shape[] getOutputShapes(ai.djl.ndarray.types.Shape[] inputShapes) {
                        return inputShapes;
                    }

                    @Override
                    public java.util.List<dev.dualnet.exporter.OnnxValue> exportOnnx(
                            dev.dualnet.exporter.OnnxBlockGraph graph, java.util.List<dev.dualnet.exporter.OnnxValue> inputs) {
                        dev.dualnet.exporter.OnnxValue x = inputs.get(0);
                        return java.util.List.of(graph.node(dev.dualnet.exporter.graph.OnnxOperator.MUL,
                                java.util.List.of(x, graph.scalar(ai.djl.ndarray.types.DataType.FLOAT32, 2.5)),
                                dev.dualnet.exporter.graph.Attributes.none(), x.dataType()));
                    }
                }
                return new ai.djl.nn.SequentialBlock().add(ai.djl.nn.core.Linear.builder().setUnits(3).build())
                        .add(new Doubling());
                """, List.of(), new Shape(1, 4));
    }

    /**
     * DJL's BertBlock (nano, 30 tokens, sequences of 12): int64 tokens, types and mask in; two outputs.
     * Its weights take BERT's usual spread of 0.02, since its untrained batch norms leave activations
     * unscaled.
     */
    public static Path bert(Path parent) throws IOException {
        return save(parent, "bert", "BertFactory", """
                return ai.djl.nn.transformer.BertBlock.builder().nano().setTokenDictionarySize(30)
                        .optMaxSequenceLength(12).build();
                """, List.of(), 0.02f, new Shape(1, 12), new Shape(1, 12), new Shape(1, 12));
    }

    /**
     * Writes {@code parent/name}: the factory {@code userzoo.CLASS} returning {@code body}'s block,
     * compiled into {@code classes/}, the jars copied beside it, the block initialised with
     * seeded random weights and saved as {@code name-0000.params}.
     */
    public static Path save(Path parent, String name, String className, String body, List<Path> jars,
            Shape... inputShapes) throws IOException {
        return save(parent, name, className, body, jars, 0.1f, inputShapes);
    }

    /** As {@link #save(Path, String, String, String, List, Shape...)}, weights drawn with the given spread. */
    public static Path save(Path parent, String name, String className, String body, List<Path> jars,
            float weightSigma, Shape... inputShapes) throws IOException {
        Path dir = Files.createDirectories(parent.resolve(name));
        Path classes = Files.createDirectories(dir.resolve("classes"));
        List<Path> beside = new ArrayList<>();
        for (Path jar : jars) {
            beside.add(Files.copy(jar, dir.resolve(jar.getFileName())));
        }
        compile(parent, className, body, classes, beside);
        try (URLClassLoader loader = new URLClassLoader(urls(classes, beside), SavedModels.class.getClassLoader());
                Model model = Model.newInstance(name)) {
            BlockFactory factory = (BlockFactory) loader.loadClass("userzoo." + className).getDeclaredConstructor()
                    .newInstance();
            Block block = factory.newBlock(model, dir, Map.of());
            Engine.getInstance().setRandomSeed(11);
            block.setInitializer(new NormalInitializer(weightSigma), Parameter.Type.WEIGHT);
            block.setInitializer(new NormalInitializer(0.05f), Parameter.Type.BIAS);
            block.initialize(model.getNDManager(), DataType.FLOAT32, inputShapes);
            model.setBlock(block);
            model.save(dir, name);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build the test model's block", e);
        }
        Files.writeString(dir.resolve("serving.properties"), "blockFactory=userzoo." + className + "\nengine=PyTorch\n");
        return dir;
    }

    /**
     * Adds {@code delta} to the first element of a named parameter and saves the model over its
     * parameters: the same model directory, one weight changed.
     */
    public static void editWeight(Path dir, String parameterName, float delta, Shape... inputShapes)
            throws IOException {
        String name = dir.getFileName().toString();
        java.util.Properties properties = new java.util.Properties();
        try (var reader = Files.newBufferedReader(dir.resolve("serving.properties"))) {
            properties.load(reader);
        }
        List<Path> jars;
        try (var files = Files.list(dir)) {
            jars = files.filter(p -> p.toString().endsWith(".jar")).toList();
        }
        try (URLClassLoader loader = new URLClassLoader(urls(dir.resolve("classes"), jars),
                SavedModels.class.getClassLoader());
                Model model = Model.newInstance(name)) {
            BlockFactory factory = (BlockFactory) loader.loadClass(properties.getProperty("blockFactory"))
                    .getDeclaredConstructor().newInstance();
            Block block = factory.newBlock(model, dir, Map.of());
            block.initialize(model.getNDManager(), DataType.FLOAT32, inputShapes);
            model.setBlock(block);
            model.load(dir, name);
            Parameter parameter = block.getParameters().get(parameterName);
            if (parameter == null) {
                throw new IllegalArgumentException("no parameter " + parameterName + " in " + block.getParameters().keys());
            }
            float[] values = parameter.getArray().toFloatArray();
            values[0] += delta;
            parameter.getArray().set(values);
            model.save(dir, name);
        } catch (ReflectiveOperationException | ai.djl.MalformedModelException e) {
            throw new IllegalStateException("cannot edit the test model", e);
        }
    }

    private static void compile(Path work, String className, String body, Path classes, List<Path> jars)
            throws IOException {
        Path sources = Files.createTempDirectory(work, "factory-src");
        Path source = sources.resolve(className + ".java");
        Files.writeString(source, """
                package userzoo;

                public class %s implements ai.djl.nn.BlockFactory {
                    private static final long serialVersionUID = 1L;

                    @Override
                    public ai.djl.nn.Block newBlock(ai.djl.Model model, java.nio.file.Path modelPath,
                            java.util.Map<String, ?> arguments) {
                        %s
                    }
                }
                """.formatted(className, body), StandardCharsets.UTF_8);
        StringBuilder classpath = new StringBuilder(System.getProperty("java.class.path"));
        for (Path jar : jars) {
            classpath.append(java.io.File.pathSeparator).append(jar);
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int status = javac.run(null, null, null, "-d", classes.toString(), "-cp", classpath.toString(),
                source.toString());
        if (status != 0) {
            throw new IllegalStateException("the test model's factory did not compile");
        }
    }

    private static URL[] urls(Path classes, List<Path> jars) {
        try {
            List<URL> urls = new ArrayList<>();
            urls.add(classes.toUri().toURL());
            for (Path jar : jars) {
                urls.add(jar.toUri().toURL());
            }
            return urls.toArray(URL[]::new);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
