package dev.dualnet.exporter.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Runs the ONNX project's own checker (full check) and strict shape inference on a model, through
 * Debian's python3-onnx, which the test command installs. The model file is only read.
 */
public final class OnnxChecker {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final String SCRIPT = String.join("\n",
            "import os, shutil, sys, tempfile, onnx",
            "path = sys.argv[1]",
            // Given a path, the full check writes the inferred shapes back into the file: it checks a copy beside
            // the model, where the model's external data files resolve as well.
            "fd, copy = tempfile.mkstemp(suffix='.onnx', dir=os.path.dirname(os.path.abspath(path)))",
            "os.close(fd)",
            "try:",
            "    shutil.copyfile(path, copy)",
            "    onnx.checker.check_model(copy, full_check=True)",
            "finally:",
            "    os.remove(copy)",
            "m = onnx.load(path, load_external_data=False)",
            "onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)",
            "print('onnx', onnx.__version__, 'ok')");
    private static Integer maxOpset;

    private OnnxChecker() {}

    /**
     * @return the checker's output
     * @throws AssertionError with the checker's output when the model fails, or when python3-onnx is missing
     */
    public static String check(Path model) throws IOException, InterruptedException {
        return python(SCRIPT, model.toString());
    }

    /** The newest opset the installed ONNX package knows. */
    public static synchronized int maxOpset() throws IOException, InterruptedException {
        if (maxOpset == null) {
            maxOpset = Integer.parseInt(python("import onnx.defs; print(onnx.defs.onnx_opset_version())").strip());
        }
        return maxOpset;
    }

    private static String python(String script, String... args) throws IOException, InterruptedException {
        if (!Files.isExecutable(PYTHON)) {
            throw new AssertionError(PYTHON + " not found: install Debian's python3-onnx (./dualnet test does)");
        }
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(PYTHON.toString(), "-c", script));
        command.addAll(java.util.List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(300, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("ONNX checker timed out");
        }
        if (process.exitValue() != 0) {
            throw new AssertionError("ONNX checker rejected " + String.join(" ", args) + ":\n" + output);
        }
        return output;
    }
}
