package dev.dualnet.cli.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.cli.Dualnet;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * This JVM's class path without DJL's artifacts and dualnet's engine-side modules (trainer,
 * exporter, packager, showcase): the launcher's light class path, on which the serving-side
 * commands must run.
 */
public final class LightClassPath implements AutoCloseable {
    private final URLClassLoader loader;
    private String err = "";

    public LightClassPath() throws IOException {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!engineSide(entry.replace(File.separatorChar, '/'))) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        loader = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    private static boolean engineSide(String path) {
        for (String module : List.of("trainer", "exporter", "packager", "showcase")) {
            if (path.contains("dualnet-" + module) || path.contains("/" + module + "/target/")) {
                return true;
            }
        }
        return path.contains("/ai/djl/");
    }

    public ClassLoader loader() {
        return loader;
    }

    /**
     * Runs the command tree as loaded by this class path (its classes, picocli's included, are not
     * the test's) and asserts that nothing was missing from it.
     *
     * @return the exit code
     */
    public int run(String... args) throws ReflectiveOperationException {
        Object cli = loader.loadClass(Dualnet.class.getName()).getMethod("commandLine").invoke(null);
        Class<?> type = cli.getClass();
        type.getMethod("setOut", PrintWriter.class).invoke(cli, new PrintWriter(new StringWriter()));
        StringWriter errors = new StringWriter();
        type.getMethod("setErr", PrintWriter.class).invoke(cli, new PrintWriter(errors, true));
        int exit = (int) type.getMethod("execute", String[].class).invoke(cli, (Object) args);
        err = errors.toString();
        assertThat(err).as(String.join(" ", args)).doesNotContain("NoClassDefFoundError", "Exception");
        return exit;
    }

    /** What the last run printed to standard error. */
    public String err() {
        return err;
    }

    @Override
    public void close() throws IOException {
        loader.close();
    }
}
