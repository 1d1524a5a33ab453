package dev.dualnet.exporter.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Runs the ONNX project's own checker (full check) and strict shape inference on a model, through
 * Debian's python3-onnx, which CI installs.
 */
public final class OnnxChecker {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final String SCRIPT = String.join("\n",
            "import sys, onnx",
            "m = onnx.load(sys.argv[1])",
            "onnx.checker.check_model(m, full_check=True)",
            "onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)",
            "print('onnx', onnx.__version__, 'ok')");

    private OnnxChecker() {}

    /**
     * @return the checker's output
     * @throws AssertionError with the checker's output when the model fails, or when python3-onnx is missing
     */
    public static String check(Path model) throws IOException, InterruptedException {
        if (!Files.isExecutable(PYTHON)) {
            throw new AssertionError(PYTHON + " not found: install Debian's python3-onnx (CI does)");
        }
        Process process = new ProcessBuilder(PYTHON.toString(), "-c", SCRIPT, model.toString())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("ONNX checker timed out");
        }
        if (process.exitValue() != 0) {
            throw new AssertionError("ONNX checker rejected " + model + ":\n" + output);
        }
        return output;
    }
}
