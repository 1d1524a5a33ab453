package dev.dualnet.showcase;

import static dev.dualnet.common.DualNetInterface.DIGIT;
import static dev.dualnet.common.DualNetInterface.IMAGE;
import static dev.dualnet.common.DualNetInterface.NUMBER;
import static dev.dualnet.common.DualNetInterface.SUM;

import dev.dualnet.common.DualNetInterface;
import dev.dualnet.showcase.convert.ConverterRegistry;
import dev.dualnet.showcase.convert.ExportContext;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxGraph;
import dev.dualnet.exporter.graph.Value;
import dev.dualnet.exporter.onnx.proto.Onnx.ModelProto;
import dev.dualnet.exporter.onnx.proto.Onnx.OperatorSetIdProto;
import dev.dualnet.exporter.onnx.proto.Onnx.StringStringEntryProto;
import dev.dualnet.trainer.model.DualNetBlock;
import java.util.List;
import java.util.Map;

/**
 * Turns an initialised {@link DualNetBlock} into a standard ONNX model (opset {@value #OPSET},
 * IR version {@value #IR_VERSION}) with the dualnet interface: inputs {@code image} float32
 * [N,1,28,28] and {@code number} int64 [N]; outputs {@code digit} float32 [N,10] and {@code sum}
 * float32 [N,19], both probabilities. The block tree is walked by the registered converters.
 */
public final class OnnxExporter {
    public static final int OPSET = 17;
    public static final int IR_VERSION = 8;
    public static final String PRODUCER = "dualnet";
    public static final String PRODUCER_VERSION = "0.1.0";

    private final ConverterRegistry registry;

    public OnnxExporter(ConverterRegistry registry) {
        this.registry = registry;
    }

    /**
     * Builds the model.
     *
     * @param block the network, parameters initialised
     * @param graphName name of the ONNX graph
     * @param metadata entries for {@code metadata_props}
     * @throws dev.dualnet.showcase.convert.UnsupportedBlockException naming the path of a block that
     *     cannot be exported
     */
    public ModelProto export(DualNetBlock block, String graphName, Map<String, String> metadata) {
        OnnxGraph graph = new OnnxGraph(graphName,
                "dualnet: an MNIST digit image and a number 0-9 in; the digit and digit + number out.");
        Value image = graph.input(IMAGE, OnnxGraph.FLOAT, new long[] {Value.BATCH, 1, 28, 28},
                "Grayscale 28x28 digit images, pixels in [0, 1] (0 = background); any normalisation is in the graph.");
        Value number = graph.input(NUMBER, OnnxGraph.INT64, new long[] {Value.BATCH},
                "The number to add to each digit, 0..9.");
        List<Value> logits = registry.convert(block, "", List.of(image, number), new ExportContext(graph, registry));
        graph.output(softmax(graph, logits.get(0), DIGIT, DualNetInterface.DIGITS),
                "Probabilities of the digit 0..9 in the image.");
        graph.output(softmax(graph, logits.get(1), SUM, DualNetInterface.SUMS),
                "Probabilities of digit + number, 0..18.");

        ModelProto.Builder model = ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName(PRODUCER)
                .setProducerVersion(PRODUCER_VERSION)
                .setModelVersion(1)
                .setDocString("Exported by dualnet from a DJL/PyTorch checkpoint.")
                .setGraph(graph.build());
        metadata.forEach((key, value) ->
                model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(key).setValue(value)));
        return model.build();
    }

    private static Value softmax(OnnxGraph graph, Value logits, String name, int classes) {
        if (logits.rank() != 2 || logits.dim(1) != classes) {
            throw new IllegalStateException(name + " head produced " + logits + ", expected [N," + classes + "]");
        }
        return graph.node("Softmax", List.of(logits), Attributes.none().integer("axis", 1), name, OnnxGraph.FLOAT,
                new long[] {Value.BATCH, classes});
    }
}
