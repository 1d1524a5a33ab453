package dev.dualnet.showcase;

import static dev.dualnet.common.DualNetInterface.DIGIT;
import static dev.dualnet.common.DualNetInterface.IMAGE;
import static dev.dualnet.common.DualNetInterface.NUMBER;
import static dev.dualnet.common.DualNetInterface.SIDE;
import static dev.dualnet.common.DualNetInterface.SUM;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.ExportedModel;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.TensorSpec;
import dev.dualnet.exporter.onnx.proto.Onnx.ModelProto;
import dev.dualnet.trainer.model.DualNetBlock;
import java.util.List;
import java.util.Map;

/**
 * The dualnet network as ONNX, through the general exporter: its forward pass traced with a
 * dynamic batch, and a softmax over each head so the graph returns probabilities. Inputs
 * {@code image} float32 [N,1,28,28] and {@code number} int64 [N]; outputs {@code digit} float32
 * [N,10] and {@code sum} float32 [N,19].
 */
public final class DualNetOnnx {
    public static final int OPSET = OnnxExport.DEFAULT_OPSET;

    private DualNetOnnx() {}

    /**
     * @param block the network, parameters initialised
     * @param graphName name of the ONNX graph
     * @param metadata entries for {@code metadata_props}
     */
    public static ModelProto export(DualNetBlock block, String graphName, Map<String, String> metadata) {
        OnnxExport export = OnnxExport.of(block)
                .input(new TensorSpec(IMAGE, DataType.FLOAT32,
                        List.of(Dim.named("N"), Dim.of(1), Dim.of(SIDE), Dim.of(SIDE))))
                .inputDoc(IMAGE, "Grayscale 28x28 digit images, pixels in [0, 1] (0 = background); any"
                        + " normalisation is in the graph.")
                .input(new TensorSpec(NUMBER, DataType.INT64, List.of(Dim.named("N"))))
                .inputDoc(NUMBER, "The number to add to each digit, 0..9.")
                .output(DIGIT, SUM)
                .outputDoc(DIGIT, "Probabilities of the digit 0..9 in the image.")
                .outputDoc(SUM, "Probabilities of digit + number, 0..18.")
                .andThen(logits -> new NDList(logits.get(0).softmax(1), logits.get(1).softmax(1)))
                .opset(OPSET)
                .graphName(graphName)
                .graphDocString("dualnet: an MNIST digit image and a number 0-9 in; the digit and digit + number out.")
                .docString("Exported by dualnet from a DJL/PyTorch checkpoint.");
        metadata.forEach(export::metadata);
        try (ExportedModel exported = export.export()) {
            return exported.model();
        }
    }
}
