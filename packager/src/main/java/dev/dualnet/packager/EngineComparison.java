package dev.dualnet.packager;

import dev.dualnet.common.UserException;
import dev.dualnet.exporter.Dim;
import dev.dualnet.exporter.TensorSpec;
import dev.dualnet.exporter.onnx.proto.Onnx;
import dev.dualnet.parity.ParityBundle;
import dev.dualnet.parity.ParityCheck;
import dev.dualnet.parity.ParityReport;
import dev.dualnet.parity.Tolerance;
import dev.dualnet.runtime.ModelLoadException;
import dev.dualnet.runtime.ModelRepository;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.RuntimeOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * DJL against ONNX Runtime on fresh inputs: the model directory's block and an exported entry's
 * ONNX model run the same seeded random inputs, and their outputs are compared as parity compares
 * a bundle.
 */
public final class EngineComparison {
    private EngineComparison() {}

    /**
     * @param model an ONNX file or repository entry
     * @param samples the batch size of the fresh inputs, where the model has a dynamic one
     * @param seed the inputs' seed
     * @throws UserException when the directory or the model cannot be loaded
     */
    public static ParityReport compare(Path modelDir, List<Path> classpath, Path model, int samples, long seed,
            Tolerance tolerance, RuntimeOptions options) throws IOException {
        if (samples < 1) {
            throw new UserException("--samples must be at least 1, got " + samples);
        }
        Path modelFile = ModelRepository.resolveModelFile(model);
        DjlModelDirectory directory = DjlModelDirectory.open(modelDir, classpath);
        try (OnnxModel onnx = OnnxModel.load(modelFile, options);
                DjlModelDirectory.Loaded loaded = directory.load()) {
            Onnx.ModelProto skeleton = readGraph(modelFile);
            GraphSignature signature = GraphSignature.of(skeleton);
            List<TensorSpec> specs = new ArrayList<>();
            for (GraphSignature.Port port : signature.inputs()) {
                List<Dim> dims = port.dims().stream().map(Dim::parse).toList();
                specs.add(new TensorSpec(port.name(), DjlTensors.dataType(port.type()), dims));
            }
            Map<String, NamedTensor> inputs = ParityInputs.random(specs, skeleton, samples, seed);
            Map<String, NamedTensor> outputs = EntryExport.forward(loaded, inputs, signature);
            return ParityCheck.report("engine", directory.dir().toString(), onnx,
                    new ParityBundle(null, inputs, outputs, tolerance, signature.batchDimension() != null), tolerance);
        } catch (ModelLoadException e) {
            throw new UserException(e.getMessage(), e);
        }
    }

    /** The graph of a model file, without the data it keeps in external files. */
    private static Onnx.ModelProto readGraph(Path modelFile) throws IOException {
        try (InputStream in = Files.newInputStream(modelFile)) {
            return Onnx.ModelProto.parseFrom(in);
        }
    }
}
