package dev.dualnet.packager;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.dualnet.common.AtomicFiles;
import dev.dualnet.common.Json;
import dev.dualnet.common.Sha256;
import dev.dualnet.common.UserException;
import dev.dualnet.exporter.ExportedModel;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.TensorSpec;
import dev.dualnet.exporter.graph.ModelAssembly;
import dev.dualnet.exporter.onnx.proto.Onnx;
import dev.dualnet.parity.BundleWriter;
import dev.dualnet.parity.ParityBundle;
import dev.dualnet.parity.ParityCheck;
import dev.dualnet.parity.ParityReport;
import dev.dualnet.parity.Tolerance;
import dev.dualnet.runtime.ModelLoadException;
import dev.dualnet.runtime.ModelRepository;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.OnnxModel;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.runtime.config.ModelConfigFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exports a DJL model directory as a Triton model-repository entry:
 *
 * <pre>
 * ENTRY/config.pbtxt            names, data types and dims from the graph
 * ENTRY/model_card.json         source, parameters digest, inputs and outputs, opset, DJL and engine versions
 * ENTRY/V/model.onnx            (and model.onnx.data past 2 GiB of parameters)
 * ENTRY/V/parity/               inputs (seeded random, or the user's .npy files) and DJL's outputs for them
 * </pre>
 *
 * <p>Before anything is written, ONNX Runtime runs the new model on the bundle's inputs; when it
 * disagrees with DJL beyond the tolerance, nothing is written. The entry is staged beside its
 * target and moved in whole.
 */
public final class EntryExport {
    /** Seed of generated parity inputs, so that two exports of one model hold the same inputs. */
    public static final long SEED = 20_241_207L;

    /**
     * What to export and how.
     *
     * @param modelDir the DJL model directory
     * @param classpath jars the block factory needs beyond the directory's own
     * @param inputs the block's inputs in order, dynamic dimensions by name
     * @param outputNames names of the forward pass's results (empty: {@code output_0}, ...)
     * @param graphName the ONNX graph's and the card's name; null for the entry's name
     * @param opset the ONNX opset
     * @param version the repository version directory
     * @param maxBatchSize {@code max_batch_size} for a batched model
     * @param entry the repository entry to write, {@code REPO/NAME}
     * @param parityInputs a directory of {@code NAME.npy} files to use as the bundle's inputs, or null
     * @param samples the bundle's batch size when its inputs are generated
     * @param tolerance how close ONNX Runtime must come to DJL
     * @param command the command line, for the card
     */
    public record Request(Path modelDir, List<Path> classpath, List<TensorSpec> inputs, List<String> outputNames,
            String graphName, int opset, long version, int maxBatchSize, Path entry, Path parityInputs, int samples,
            Tolerance tolerance, String command) {
        public Request {
            classpath = List.copyOf(classpath);
            inputs = List.copyOf(inputs);
            outputNames = List.copyOf(outputNames);
        }
    }

    /**
     * What an export did.
     *
     * @param written whether the entry was written (false when ONNX Runtime disagreed with DJL)
     * @param check ONNX Runtime against DJL on the bundle
     */
    public record Result(Path entry, Path model, GraphSignature signature, ParityReport check, boolean written) {}

    private EntryExport() {}

    /**
     * @throws UserException for a bad model directory or inputs that do not fit the model
     * @throws dev.dualnet.exporter.OnnxExportException when the block cannot be exported
     */
    public static Result export(Request request) throws IOException {
        if (request.inputs().isEmpty()) {
            throw new UserException("give the model's inputs with --input NAME:DTYPE:SHAPE, in the order its forward"
                    + " pass takes them");
        }
        if (request.version() < 1) {
            throw new UserException("--version must be at least 1, got " + request.version());
        }
        DjlModelDirectory directory = DjlModelDirectory.open(request.modelDir(), request.classpath());
        String entryName = request.entry().toAbsolutePath().normalize().getFileName().toString();
        String name = request.graphName() != null ? request.graphName() : entryName;
        try (DjlModelDirectory.Loaded loaded = directory.load()) {
            Block block = loaded.block();
            checkInputs(block, request.inputs());
            OnnxExport export = OnnxExport.of(block).opset(request.opset()).graphName(name)
                    .docString("Exported by dualnet from the DJL model " + directory.paramsFile().getFileName()
                            + " built by " + directory.blockFactory() + ".")
                    .metadata("producer", OnnxExport.PRODUCER + " " + OnnxExport.PRODUCER_VERSION)
                    .metadata("block_factory", directory.blockFactory());
            request.inputs().forEach(export::input);
            if (!request.outputNames().isEmpty()) {
                export.output(request.outputNames().toArray(String[]::new));
            }
            try (ExportedModel exported = export.export()) {
                Onnx.ModelProto skeleton = exported.skeleton();
                GraphSignature signature = GraphSignature.of(skeleton);
                Map<String, NamedTensor> inputs = request.parityInputs() != null
                        ? NpyInputs.read(request.parityInputs(), request.inputs())
                        : ParityInputs.random(request.inputs(), skeleton, request.samples(), SEED);
                Map<String, NamedTensor> outputs = forward(loaded, inputs, signature);
                // Samples run in chunks only where every tensor scales with one batch.
                ParityBundle bundle = new ParityBundle(null, inputs, outputs, request.tolerance(),
                        signature.batchDimension() != null);
                return write(request, directory, exported, signature, bundle, entryName, name);
            }
        }
    }

    /** The inputs agree in number and rank with those the model was saved for, where it recorded them. */
    private static void checkInputs(Block block, List<TensorSpec> inputs) {
        Shape[] saved;
        try {
            saved = block.getInputShapes();
        } catch (IllegalStateException | UnsupportedOperationException e) {
            return;
        }
        if (saved == null) {
            return;
        }
        if (saved.length != inputs.size()) {
            throw new UserException("the model takes " + saved.length + " input" + (saved.length == 1 ? "" : "s")
                    + " (saved for " + shapes(saved) + "), but " + inputs.size() + " --input "
                    + (inputs.size() == 1 ? "was" : "were") + " given");
        }
        for (int i = 0; i < saved.length; i++) {
            TensorSpec spec = inputs.get(i);
            if (saved[i].dimension() != spec.rank()) {
                throw new UserException("--input " + spec + " has rank " + spec.rank() + ", but the model's input "
                        + (i + 1) + " has rank " + saved[i].dimension() + " (saved for " + saved[i] + ")");
            }
        }
    }

    private static String shapes(Shape[] shapes) {
        List<String> parts = new ArrayList<>();
        for (Shape shape : shapes) {
            parts.add(shape.toString());
        }
        return String.join(", ", parts);
    }

    /** DJL's outputs for the inputs, named as the graph names them. */
    static Map<String, NamedTensor> forward(DjlModelDirectory.Loaded loaded, Map<String, NamedTensor> inputs,
            GraphSignature signature) {
        try (NDManager scope = loaded.manager().newSubManager()) {
            NDList arrays = new NDList();
            for (NamedTensor input : inputs.values()) {
                arrays.add(DjlTensors.array(input, scope));
            }
            NDList results = loaded.block().forward(new ParameterStore(scope, false), arrays, false);
            if (results.size() != signature.outputs().size()) {
                throw new IllegalStateException("the forward pass returned " + results.size() + " arrays, the graph "
                        + signature.outputs().size());
            }
            Map<String, NamedTensor> outputs = new LinkedHashMap<>();
            for (int i = 0; i < results.size(); i++) {
                String outputName = signature.outputs().get(i).name();
                NDArray result = results.get(i);
                outputs.put(outputName, DjlTensors.named(outputName, result));
            }
            return outputs;
        }
    }

    private static Result write(Request request, DjlModelDirectory directory, ExportedModel exported,
            GraphSignature signature, ParityBundle bundle, String entryName, String name) throws IOException {
        Path entry = request.entry().toAbsolutePath().normalize();
        Path staging = entry.resolveSibling("." + entryName + ".staging-" + System.nanoTime());
        Files.createDirectories(staging);
        boolean moved = false;
        try {
            Path versionDir = staging.resolve(Long.toString(request.version()));
            Path modelFile = versionDir.resolve(ModelRepository.MODEL_FILE);
            Path data = exported.write(modelFile);
            BundleWriter.write(versionDir.resolve(ParityBundle.DIRECTORY), bundle,
                    "Inputs for the model and the DJL engine's outputs for them.",
                    Map.of("engine", engineDescription(), "source", request.modelDir().toString(),
                            "inputs", request.parityInputs() != null ? "read from " + request.parityInputs()
                                    : "seeded random values, seed " + SEED));
            ParityReport check;
            try (OnnxModel onnx = OnnxModel.load(modelFile, RuntimeOptions.defaults())) {
                check = ParityCheck.report("engine", directory.dir().toString(), onnx, bundle, request.tolerance());
            } catch (ModelLoadException e) {
                throw new IllegalStateException("ONNX Runtime cannot load the exported model: " + e.getMessage(), e);
            }
            Path finalModel = entry.resolve(Long.toString(request.version())).resolve(ModelRepository.MODEL_FILE);
            if (!check.passed()) {
                return new Result(entry, finalModel, signature, check, false);
            }
            String config = TritonConfigs.of(entryName, signature, request.maxBatchSize());
            AtomicFiles.writeString(staging.resolve(ModelConfigFile.FILE_NAME), config);
            ModelConfigFile.read(staging.resolve(ModelConfigFile.FILE_NAME));
            EntryCard card = card(request, directory, signature, name, modelFile, data, bundle);
            AtomicFiles.writeString(staging.resolve(ModelRepository.CARD_FILE), Json.writer().writeValueAsString(card));
            AtomicFiles.replaceDirectory(staging, entry);
            moved = true;
            return new Result(entry, finalModel, signature, check, true);
        } catch (ModelLoadException e) {
            throw new IllegalStateException("the written config.pbtxt does not parse: " + e.getMessage(), e);
        } finally {
            if (!moved) {
                AtomicFiles.deleteRecursively(staging);
            }
        }
    }

    private static EntryCard card(Request request, DjlModelDirectory directory, GraphSignature signature, String name,
            Path modelFile, Path data, ParityBundle bundle) throws IOException {
        String version = Long.toString(request.version());
        Map<String, Object> onnx = new LinkedHashMap<>();
        onnx.put("file", version + "/" + ModelRepository.MODEL_FILE);
        onnx.put("opset", request.opset());
        onnx.put("irVersion", ModelAssembly.IR_VERSION);
        onnx.put("sha256", Sha256.of(modelFile));
        if (data != null) {
            onnx.put("externalData", Map.of(version + "/" + data.getFileName(), Sha256.of(data)));
        }
        Map<String, String> inputs = new LinkedHashMap<>();
        signature.inputs().forEach(p -> inputs.put(p.name(), p.describe()));
        Map<String, String> outputs = new LinkedHashMap<>();
        signature.outputs().forEach(p -> outputs.put(p.name(), p.describe()));
        Engine engine = Engine.getInstance();
        Map<String, Object> parity = new LinkedHashMap<>();
        parity.put("samples", bundle.count());
        parity.put("atol", request.tolerance().atol());
        parity.put("rtol", request.tolerance().rtol());
        parity.put("inputs", request.parityInputs() != null ? "files" : "random, seed " + SEED);
        return new EntryCard(name, request.version(), request.modelDir().toString(), directory.blockFactory(),
                Map.of("file", directory.paramsFile().getFileName().toString(),
                        "sha256", Sha256.of(directory.paramsFile())),
                inputs, outputs, onnx,
                Map.of("version", Engine.getDjlVersion(), "engine", engine.getEngineName(),
                        "engineVersion", engine.getVersion()),
                parity, request.command());
    }

    private static String engineDescription() {
        Engine engine = Engine.getInstance();
        return "DJL " + Engine.getDjlVersion() + " / " + engine.getEngineName() + " " + engine.getVersion();
    }
}
