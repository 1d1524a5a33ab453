package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.server.testing.TestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code dualnet serve} exits 2 with the reason when it cannot serve, rather than listen with nothing. */
class ServeCommandTest {
    @TempDir
    Path dir;

    @Test
    void aRepositoryWithNoServableModelStopsWithTheReasons() throws Exception {
        Path repo = dir.resolve("models");
        Files.createDirectories(repo.resolve("broken/1"));
        Files.writeString(repo.resolve("broken/1/model.onnx"), "not a model");
        String err = serve(repo, "--port", "0");
        assertThat(err).startsWith("error: no model in " + repo + " can be served: ")
                .contains("model 'broken': ", "version 1: model.onnx cannot be loaded").doesNotContain("\tat ");
    }

    @Test
    void anEmptyRepositoryStopsAndSaysWhatWasExpected() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("empty"));
        assertThat(serve(repo, "--port", "0")).startsWith("error: no model in " + repo + " can be served: ")
                .contains("holds no NAME/VERSION/model.onnx");
    }

    @Test
    void aMissingRepositoryAndAFileInsteadOfOneAreToldApart() throws Exception {
        Path missing = dir.resolve("nowhere");
        assertThat(serve(missing, "--port", "0").strip())
                .isEqualTo("error: " + missing + ": model repository directory not found");
        Path file = Files.writeString(dir.resolve("models.txt"), "x");
        assertThat(serve(file, "--port", "0").strip()).isEqualTo("error: " + file
                + ": not a directory; expected a model repository (NAME/VERSION/model.onnx)");
    }

    @Test
    void aNumberOutOfRangeNamesItsOptionAndValue() throws Exception {
        Path repo = TestServer.repository(dir);
        assertThat(serve(repo, "--batch-delay-us", "-1").strip()).isEqualTo("error: --batch-delay-us must be at least 0, got -1");
        assertThat(serve(repo, "--max-batch-size", "0").strip()).isEqualTo("error: --max-batch-size must be at least 1, got 0");
        assertThat(serve(repo, "--threads", "3").strip()).isEqualTo("error: --threads must be at least 4, got 3");
        assertThat(serve(repo, "--intra-op-threads", "-2").strip())
                .isEqualTo("error: --intra-op-threads must be at least 0, got -2");
    }

    @Test
    void aBadGrpcPortIsOneLineNamingTheOption() throws Exception {
        Path repo = TestServer.repository(dir);
        assertThat(serve(repo, "--grpc-port", "70000").strip())
                .isEqualTo("error: --grpc-port must be 0..65535, or -1 for no gRPC, got 70000");
        assertThat(serve(repo, "--grpc-port", "-2").strip())
                .isEqualTo("error: --grpc-port must be 0..65535, or -1 for no gRPC, got -2");
        assertThat(serve(repo, "--port", "9000", "--grpc-port", "9000").strip())
                .isEqualTo("error: --grpc-port and --port are both 9000; give gRPC a port of its own");
        assertThat(serve(repo, "--grpc-port", "x").lines().findFirst().orElseThrow())
                .startsWith("error: Invalid value for option '--grpc-port': 'x' is not an int");
    }

    @Test
    void aTakenGrpcPortSaysSoAndFreesTheHttpPort() throws Exception {
        Path repo = TestServer.repository(dir);
        int httpPort;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            httpPort = free.getLocalPort();
        }
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThat(serve(repo, "--port", Integer.toString(httpPort), "--grpc-port",
                    Integer.toString(taken.getLocalPort())).strip())
                    .startsWith("error: cannot listen for gRPC on 127.0.0.1:" + taken.getLocalPort() + ": ")
                    .contains("in use").doesNotContain("\n");
        }
        // The HTTP listener that did start is closed again.
        try (ServerSocket again = new ServerSocket(httpPort, 1, InetAddress.getLoopbackAddress())) {
            assertThat(again.getLocalPort()).isEqualTo(httpPort);
        }
    }

    @Test
    void aMistypedOptionGetsItsReasonAndASuggestionNotTheWholeUsage() throws Exception {
        List<String> lines = serve(TestServer.repository(dir), "--model-repository", "models").strip().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).isEqualTo("error: Unknown options: '--model-repository', 'models'");
        assertThat(lines.get(1)).startsWith("Possible solutions: --model-dir");
        assertThat(lines.get(2)).isEqualTo("Run 'dualnet serve --help' for its options.");
    }

    @Test
    void aTakenPortOrUnknownHostSaysWhichItWas() throws Exception {
        Path repo = TestServer.repository(dir);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThat(serve(repo, "--port", Integer.toString(taken.getLocalPort())))
                    .startsWith("error: cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": ")
                    .contains("already in use");
        }
        // 192.0.2.0/24 is reserved for documentation (RFC 5737), so no machine has it; Javalin alone
        // would call this "port already in use" too.
        assertThat(serve(repo, "--host", "192.0.2.1", "--port", "0"))
                .startsWith("error: cannot listen on 192.0.2.1:0: ").doesNotContain("already in use");
        assertThat(serve(repo, "--host", "no-such-host.invalid", "--port", "0"))
                .startsWith("error: cannot listen on no-such-host.invalid: no such host");
    }

    private static String serve(Path repo, String... options) {
        StringWriter err = new StringWriter();
        CommandLine cli = Dualnet.commandLine();
        cli.setErr(new PrintWriter(err, true));
        List<String> args = new ArrayList<>(List.of("serve", "--model-dir", repo.toString()));
        args.addAll(List.of(options));
        assertThat(cli.execute(args.toArray(String[]::new))).isEqualTo(2);
        return err.toString();
    }
}
