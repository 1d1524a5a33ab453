package dev.dualnet.packager;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import dev.dualnet.common.UserException;
import java.io.IOException;
import java.io.Reader;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A model directory saved the DJL way: {@code NAME-NNNN.params} from {@code Model.save}, and a
 * {@code serving.properties} naming {@code blockFactory=<class>}, whose classes lie in
 * {@code DIR/classes/} or in jars {@code DIR/*.jar}. It is loaded the way DJL loads it,
 * {@code Criteria} with {@code optModelPath}, so neither the factory nor the libraries it builds
 * blocks from need be on the application's class path.
 *
 * <p>{@link #open} checks the directory first and names what is wrong in one line.
 */
public final class DjlModelDirectory {
    public static final String SERVING_PROPERTIES = "serving.properties";
    private static final Pattern PARAMS = Pattern.compile("(.+)-(\\d{4})\\.params");

    private final Path dir;
    private final String blockFactory;
    private final String engine;
    private final Path paramsFile;
    private final List<Path> classpath;

    private DjlModelDirectory(Path dir, String blockFactory, String engine, Path paramsFile, List<Path> classpath) {
        this.dir = dir;
        this.blockFactory = blockFactory;
        this.engine = engine;
        this.paramsFile = paramsFile;
        this.classpath = List.copyOf(classpath);
    }

    /**
     * Checks a model directory.
     *
     * @param classpath jars that the factory's classes need beyond the directory's own
     * @throws UserException saying what is missing or wrong, and what is expected
     */
    public static DjlModelDirectory open(Path dir, List<Path> classpath) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new UserException("no model directory at " + dir + ": expected a directory saved the DJL way"
                    + " (NAME-NNNN.params and serving.properties naming blockFactory=<class>)");
        }
        for (Path jar : classpath) {
            if (!Files.isRegularFile(jar)) {
                throw new UserException("--classpath entry " + jar + " is not a file: expected jars the block factory"
                        + " needs");
            }
        }
        Properties properties = new Properties();
        Path servingProperties = dir.resolve(SERVING_PROPERTIES);
        if (Files.isRegularFile(servingProperties)) {
            try (Reader reader = Files.newBufferedReader(servingProperties)) {
                properties.load(reader);
            }
        }
        String factory = properties.getProperty("blockFactory", "").strip();
        if (factory.isEmpty()) {
            Path torchScript = firstFile(dir, "glob:*.{pt,torchscript}");
            if (torchScript != null) {
                throw new UserException(dir + " holds a TorchScript model (" + torchScript.getFileName() + ") and no"
                        + " blockFactory: TorchScript is a compiled PyTorch graph that DJL runs as one opaque block,"
                        + " with no Java blocks to trace, so it cannot be exported from Java; export it from PyTorch"
                        + " with torch.onnx.export, or save the model from its DJL blocks (Model.save) with a"
                        + " serving.properties naming its blockFactory");
            }
            throw new UserException(dir + " has no " + SERVING_PROPERTIES + " naming blockFactory=<class>: expected the"
                    + " class that builds the model's blocks, with its classes in " + dir.resolve("classes")
                    + " or in a jar in " + dir);
        }
        Path params = paramsFile(dir);
        checkFactory(dir, factory, classpath);
        return new DjlModelDirectory(dir, factory, properties.getProperty("engine"), params, classpath);
    }

    private static Path paramsFile(Path dir) throws IOException {
        String prefix = dir.toAbsolutePath().normalize().getFileName().toString();
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(p -> PARAMS.matcher(p.getFileName().toString()).matches()).forEach(found::add);
        }
        found.sort(Comparator.comparing(p -> p.getFileName().toString()));
        Path latest = null;
        for (Path file : found) {
            Matcher matcher = PARAMS.matcher(file.getFileName().toString());
            if (matcher.matches() && matcher.group(1).equals(prefix)) {
                latest = file;
            }
        }
        if (latest != null) {
            return latest;
        }
        if (!found.isEmpty()) {
            String other = found.get(found.size() - 1).getFileName().toString();
            throw new UserException(dir + " holds " + other + ", but DJL loads " + prefix + "-NNNN.params from a"
                    + " directory named " + prefix + ": name the directory after the parameters' prefix ("
                    + PARAMS.matcher(other).replaceAll("$1") + ") or save them under " + prefix);
        }
        throw new UserException(dir + " has no parameters: expected " + prefix + "-NNNN.params, written by"
                + " Model.save(dir, \"" + prefix + "\")");
    }

    /** Loads the factory class the way DJL will, to name a missing class before DJL's own, vaguer, error. */
    private static void checkFactory(Path dir, String factory, List<Path> classpath) throws IOException {
        try (URLClassLoader loader = new URLClassLoader(urls(dir, classpath),
                DjlModelDirectory.class.getClassLoader())) {
            Class<?> type = Class.forName(factory, false, loader);
            if (!BlockFactory.class.isAssignableFrom(type)) {
                throw new UserException("blockFactory " + factory + " in " + SERVING_PROPERTIES + " does not implement"
                        + " ai.djl.nn.BlockFactory");
            }
        } catch (ClassNotFoundException e) {
            throw new UserException("blockFactory " + factory + " is not in " + dir.resolve("classes") + ", in a jar in "
                    + dir + " or on --classpath: put the factory's compiled classes there", e);
        } catch (NoClassDefFoundError e) {
            throw missingClass(dir, factory, e);
        }
    }

    private static UserException missingClass(Path dir, String factory, NoClassDefFoundError e) {
        return new UserException("blockFactory " + factory + " needs class " + e.getMessage().replace('/', '.')
                + ", which is not in " + dir + " or on --classpath: add the jar that holds it", e);
    }

    private static URL[] urls(Path dir, List<Path> classpath) throws IOException {
        List<URL> urls = new ArrayList<>();
        urls.add(url(dir.resolve("classes")));
        try (Stream<Path> files = Files.list(dir)) {
            for (Path jar : files.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                urls.add(url(jar));
            }
        }
        for (Path jar : classpath) {
            urls.add(url(jar));
        }
        return urls.toArray(URL[]::new);
    }

    private static URL url(Path path) throws MalformedURLException {
        return path.toUri().toURL();
    }

    private static Path firstFile(Path dir, String glob) throws IOException {
        java.nio.file.PathMatcher matcher = dir.getFileSystem().getPathMatcher(glob);
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> matcher.matches(p.getFileName())).sorted().findFirst().orElse(null);
        }
    }

    public Path dir() {
        return dir;
    }

    public String blockFactory() {
        return blockFactory;
    }

    /** The parameters file DJL loads: the latest {@code NAME-NNNN.params}. */
    public Path paramsFile() {
        return paramsFile;
    }

    /** A loaded model: its block, parameters in place, until closed. */
    public static final class Loaded implements AutoCloseable {
        private final ZooModel<NDList, NDList> model;
        private final URLClassLoader loader;

        Loaded(ZooModel<NDList, NDList> model, URLClassLoader loader) {
            this.model = model;
            this.loader = loader;
        }

        public Block block() {
            return model.getBlock();
        }

        /** The manager holding the parameters; arrays for the block belong under it. */
        public ai.djl.ndarray.NDManager manager() {
            return model.getNDManager();
        }

        @Override
        public void close() throws IOException {
            model.close();
            loader.close();
        }
    }

    /**
     * Loads the model with DJL's {@code Criteria}: the factory builds the blocks, the parameters
     * file fills them.
     *
     * @throws UserException when DJL cannot build or load the model, or a class the factory uses is
     *     missing
     */
    public Loaded load() throws IOException {
        URLClassLoader extra = new URLClassLoader(urls(dir, classpath), Thread.currentThread().getContextClassLoader());
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(extra);
        try {
            Criteria.Builder<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                    .optModelPath(dir.toAbsolutePath());
            if (engine != null && !engine.isBlank()) {
                criteria.optEngine(engine.strip());
            }
            ZooModel<NDList, NDList> model = criteria.build().loadModel();
            if (model.getBlock() == null) {
                model.close();
                throw new UserException("blockFactory " + blockFactory + " built no block");
            }
            return new Loaded(model, extra);
        } catch (ModelNotFoundException | MalformedModelException | IllegalArgumentException | IllegalStateException e) {
            extra.close();
            throw new UserException("DJL cannot load the model in " + dir + ": " + e.getMessage(), e);
        } catch (NoClassDefFoundError e) {
            // The factory's own class loads, but a class its newBlock uses does not.
            extra.close();
            throw missingClass(dir, blockFactory, e);
        } catch (IOException | RuntimeException e) {
            extra.close();
            throw e;
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
