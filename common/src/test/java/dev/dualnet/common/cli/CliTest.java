package dev.dualnet.common.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dualnet.common.UserException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

class CliTest {
    @Command(name = "fails")
    static final class Failing implements Callable<Integer> {
        private final Exception failure;

        Failing(Exception failure) {
            this.failure = failure;
        }

        @Override
        public Integer call() throws Exception {
            throw failure;
        }
    }

    private static String[] run(Exception failure) {
        StringWriter err = new StringWriter();
        CommandLine cli = Cli.commandLine(new Failing(failure));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute();
        return new String[] {Integer.toString(exit), err.toString().strip()};
    }

    @Test
    void anIoFailureIsOneLineNamingTheFileAndTheReason() {
        assertThat(run(new NoSuchFileException("/proc/x"))).containsExactly("1", "error: /proc/x: no such file or directory");
        assertThat(run(new AccessDeniedException("/root/m"))).containsExactly("1", "error: /root/m: permission denied");
        assertThat(run(new FileSystemException("/a/README.md/1", null, "Not a directory")))
                .containsExactly("1", "error: /a/README.md/1: Not a directory");
        assertThat(run(new UncheckedIOException(new IOException("No space left on device"))))
                .containsExactly("1", "error: No space left on device");
    }

    @Test
    void badInputIsExitTwoAndABugKeepsItsTypeInTheLine() {
        assertThat(run(new UserException("x: wrong"))).containsExactly("2", "error: x: wrong");
        assertThat(run(new IllegalStateException("bug"))).containsExactly("1", "error: java.lang.IllegalStateException: bug");
    }
}
