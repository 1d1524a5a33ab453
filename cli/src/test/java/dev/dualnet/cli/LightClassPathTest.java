package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command tree builds, and the commands that never touch the training engine run, on a class
 * path without DJL, libtorch, the trainer or the exporter: the launcher's light class path.
 */
class LightClassPathTest {
    @TempDir
    Path dir;

    @Test
    void bundleParityServeAndPredictHelpRunWithoutTheTrainingEngine() throws Exception {
        try (URLClassLoader light = lightLoader()) {
            assertThatThrownBy(() -> light.loadClass("ai.djl.ndarray.NDArray")).isInstanceOf(ClassNotFoundException.class);
            assertThatThrownBy(() -> light.loadClass("dev.dualnet.trainer.train.TrainingRun"))
                    .isInstanceOf(ClassNotFoundException.class);

            assertThat(run(light, "--help")).isZero();
            assertThat(run(light, "serve", "--help")).isZero();
            assertThat(run(light, "predict", "--help")).isZero();
            Path repository = Path.of(System.getProperty("dualnet.repository", "../models"));
            assertThat(run(light, "parity", "--model", repository.resolve("dualnet").toString(),
                    "--report-dir", dir.toString())).isZero();
            assertThat(dir.resolve("parity-report.json")).isRegularFile();
        }
    }

    /** This JVM's class path without DJL's artifacts and dualnet's engine-side modules. */
    private static URLClassLoader lightLoader() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String path = entry.replace(File.separatorChar, '/');
            boolean engine = path.contains("/ai/djl/") || path.contains("dualnet-trainer") || path.contains("dualnet-exporter")
                    || path.contains("/trainer/target/") || path.contains("/exporter/target/");
            if (!engine) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    /** Runs the tree as loaded by {@code loader}: its classes, picocli's included, are not this test's. */
    private static int run(ClassLoader loader, String... args) throws Exception {
        Object cli = loader.loadClass(Dualnet.class.getName()).getMethod("commandLine").invoke(null);
        Class<?> type = cli.getClass();
        type.getMethod("setOut", PrintWriter.class).invoke(cli, new PrintWriter(new StringWriter()));
        StringWriter err = new StringWriter();
        type.getMethod("setErr", PrintWriter.class).invoke(cli, new PrintWriter(err, true));
        int exit = (int) type.getMethod("execute", String[].class).invoke(cli, (Object) args);
        assertThat(err.toString()).as(String.join(" ", args)).doesNotContain("NoClassDefFoundError", "Exception");
        return exit;
    }
}
