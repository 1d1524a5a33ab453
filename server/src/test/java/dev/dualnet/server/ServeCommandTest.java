package dev.dualnet.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code dualnet serve} exits with the reasons rather than listen with nothing to serve. */
class ServeCommandTest {
    @TempDir
    Path dir;

    @Test
    void aRepositoryWithNoServableModelStopsWithTheReasons() throws Exception {
        Path repo = dir.resolve("models");
        Files.createDirectories(repo.resolve("broken/1"));
        Files.writeString(repo.resolve("broken/1/model.onnx"), "not a model");
        String err = serve(repo);
        assertThat(err).startsWith("error: no model in " + repo + " can be served: ")
                .contains("model 'broken': ", "not a loadable ONNX model").doesNotContain("\tat ");
    }

    @Test
    void anEmptyRepositoryStopsAndSaysWhatWasExpected() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("empty"));
        assertThat(serve(repo)).startsWith("error: no model in " + repo + " can be served: ")
                .contains("holds no NAME/VERSION/model.onnx");
    }

    private static String serve(Path repo) {
        StringWriter err = new StringWriter();
        CommandLine cli = ServerCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        assertThat(cli.execute("serve", "--port", "0", "--model-dir", repo.toString())).isEqualTo(2);
        return err.toString();
    }
}
