package dev.dualnet.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dualnet.runtime.DigitPictures;
import dev.dualnet.runtime.DualNetPredictor;
import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.ModelLoadException;
import dev.dualnet.runtime.Prediction;
import dev.dualnet.runtime.RuntimeOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dualnet predict}: one picture and one number through the runtime, no server, no training engine. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Predict the digit in a PNG or JPEG of any size and its sum with a number, with ONNX Runtime only. "
                    + "The picture is made MNIST-like: grayscale, inverted if the background is light, cropped to "
                    + "the ink, scaled to 20 px on its longer side and centred by centre of mass in 28x28.",
            ""
        })
final class PredictCommand implements Callable<Integer> {
    @Option(names = "--image", required = true, paramLabel = "FILE", description = "PNG or JPEG picture of one digit.")
    Path image;

    @Option(names = "--number", required = true, paramLabel = "N", description = "Number 0..9 to add.")
    int number;

    @Option(names = "--model", defaultValue = "models/dualnet", paramLabel = "PATH",
            description = "Model file or repository entry (default: ${DEFAULT-VALUE}).")
    Path model;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (number < 0 || number > 9) {
            throw new IllegalArgumentException("--number is " + number + ", expected 0..9");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(image);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(image + ": file not found");
        } catch (IOException e) {
            throw new IllegalArgumentException(image + ": cannot read: " + e.getMessage());
        }
        float[] pixels;
        try {
            pixels = DigitPictures.fromImageBytes(bytes);
        } catch (InvalidInputException e) {
            throw new IllegalArgumentException(image + ": " + e.getMessage());
        }
        Prediction p;
        try (DualNetPredictor predictor = DualNetPredictor.load(model, new RuntimeOptions(
                RuntimeOptions.Device.AUTO, 0, 1, RuntimeOptions.Optimization.ALL))) {
            p = predictor.predict(pixels, number);
        } catch (ModelLoadException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode out = mapper.createObjectNode();
            out.put("image", image.toString());
            out.put("number", number);
            out.put("digit", p.digit());
            out.put("sum", p.sum());
            out.set("digit_probabilities", mapper.valueToTree(p.digitProbabilities()));
            out.set("sum_probabilities", mapper.valueToTree(p.sumProbabilities()));
            System.out.println(mapper.writeValueAsString(out));
        } else {
            System.out.printf(Locale.ROOT, "digit %d (p=%.3f); %d + %d = %d (p=%.3f)%n", p.digit(),
                    p.digitProbabilities()[p.digit()], p.digit(), number, p.sum(), p.sumProbabilities()[p.sum()]);
        }
        return 0;
    }
}
