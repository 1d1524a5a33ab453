package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dualnet.server.testing.Digits;
import dev.dualnet.server.testing.TestServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PredictCommandTest {
    @TempDir
    Path dir;

    @Test
    void predictsAPictureWithTheRuntimeOnly() throws Exception {
        Digits digits = Digits.load();
        Path picture = dir.resolve("digit.png");
        BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        float[] pixels = digits.image(5);
        for (int p = 0; p < 784; p++) {
            image.getRaster().setSample(p % 28, p / 28, 0, Math.round(255 * pixels[p]));
        }
        ImageIO.write(image, "png", picture.toFile());
        String out = capture("predict", "--image", picture.toString(), "--number", "4", "--model",
                TestServer.seedEntry().toString(), "--json");
        JsonNode json = TestServer.mapper().readTree(out);
        assertThat(json.get("digit").asInt()).isEqualTo(digits.expectedDigit(5));
        assertThat(json.get("sum").asInt()).isEqualTo(digits.expectedDigit(5) + 4);
        assertThat(capture("predict", "--image", picture.toString(), "--number", "4", "--model",
                TestServer.seedEntry().toString())).startsWith("digit " + digits.expectedDigit(5) + " (p=");
    }

    @Test
    void badInputIsOneErrorLineAndExitTwo() throws Exception {
        Path text = Files.writeString(dir.resolve("note.png"), "not an image");
        assertError(new String[] {"predict", "--image", dir.resolve("missing.png").toString(), "--number", "1"},
                "missing.png: file not found");
        assertError(new String[] {"predict", "--image", text.toString(), "--number", "1"}, "not a PNG or JPEG");
        assertError(new String[] {"predict", "--image", text.toString(), "--number", "12"}, "--number is 12, expected 0..9");
        assertError(new String[] {"predict", "--image", text.toString(), "--number", "1", "--model",
                dir.resolve("none").toString()}, "not a PNG or JPEG");
    }

    private static void assertError(String[] args, String message) {
        StringWriter err = new StringWriter();
        CommandLine cli = Dualnet.commandLine();
        cli.setErr(new PrintWriter(err, true));
        assertThat(cli.execute(args)).isEqualTo(2);
        assertThat(err.toString()).startsWith("error: ").contains(message).doesNotContain("\tat ");
    }

    private static String capture(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            assertThat(Dualnet.commandLine().execute(args)).isZero();
        } finally {
            System.setOut(original);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
