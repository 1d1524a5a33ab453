package dev.dualnet.showcase;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dualnet.common.AtomicFiles;
import dev.dualnet.common.DualNetInterface;
import dev.dualnet.common.Json;
import dev.dualnet.common.Sha256;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.graph.ModelAssembly;
import dev.dualnet.exporter.onnx.proto.Onnx.ModelProto;
import dev.dualnet.exporter.onnx.proto.Onnx.StringStringEntryProto;
import dev.dualnet.exporter.optimize.GraphOptimizer;
import dev.dualnet.showcase.parity.EngineOutputs;
import dev.dualnet.showcase.parity.EngineParity;
import dev.dualnet.showcase.parity.PairedSamples;
import dev.dualnet.showcase.repository.ModelCard;
import dev.dualnet.showcase.repository.TritonConfig;
import dev.dualnet.parity.BundleWriter;
import dev.dualnet.parity.ParityBundle;
import dev.dualnet.parity.Tolerance;
import dev.dualnet.runtime.ModelRepository;
import dev.dualnet.trainer.data.MnistSplit;
import dev.dualnet.trainer.model.DualNetModel;
import dev.dualnet.trainer.train.Checkpoint;
import dev.dualnet.trainer.train.CheckpointState;
import dev.dualnet.trainer.train.EpochMetrics;
import dev.dualnet.trainer.train.TrainingConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Exports a training checkpoint as a model-repository entry: {@code DIR/1/model.onnx}, its parity
 * bundle {@code DIR/1/parity/}, {@code DIR/config.pbtxt} and {@code DIR/model_card.json}. Every
 * file is written atomically.
 */
public final class ModelExport {
    public static final String MODEL_FILE = "model.onnx";
    public static final String CONFIG_FILE = "config.pbtxt";
    public static final String CARD_FILE = ModelRepository.CARD_FILE;
    public static final int VERSION = 1;

    private final ObjectMapper json = Json.mapper();
    private final GraphOptimizer optimizer;

    /** Exports with {@link GraphOptimizer#standard() every graph rewrite}. */
    public ModelExport() {
        this(GraphOptimizer.standard());
    }

    /** Exports with the given rewrites; {@link GraphOptimizer#none()} writes the literal graph. */
    public ModelExport(GraphOptimizer optimizer) {
        this.optimizer = optimizer;
    }

    /** Paths and checksum of what an export wrote. */
    public record Result(Path entry, Path model, String modelSha256, ModelCard card) {}

    /**
     * @param checkpoint a run directory or checkpoint file
     * @param entry the repository entry directory, {@code models/NAME}; its name is the model name
     * @param maxBatchSize max_batch_size written to config.pbtxt
     * @param test the MNIST test split, whose first images go into the parity bundle
     * @param bundleSize how many test pairs the parity bundle holds
     * @param command the command line to record in the model card
     * @throws IOException if writing fails
     */
    public Result export(Path checkpoint, Path entry, int maxBatchSize, MnistSplit test, int bundleSize,
            String command) throws IOException {
        Checkpoint saved = Checkpoint.read(checkpoint);
        CheckpointState state = saved.state();
        TrainingConfig config = state.config();
        String name = entry.toAbsolutePath().normalize().getFileName().toString();
        try (DualNetModel model = DualNetModel.create(config.presetValue(), ai.djl.Device.cpu())) {
            saved.restoreParameters(model);
            byte[] configJson = json.writeValueAsBytes(config);
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("producer", OnnxExport.PRODUCER + " " + OnnxExport.PRODUCER_VERSION);
            metadata.put("preset", config.preset());
            metadata.put("training_metrics", json.writeValueAsString(last(state)));
            Map<String, String> dataChecksums = byFileName(state.dataChecksums());
            metadata.put("data_checksums", json.writeValueAsString(dataChecksums));
            metadata.put("config_sha256", Sha256.of(configJson));
            metadata.put("config", new String(configJson, java.nio.charset.StandardCharsets.UTF_8));
            GraphOptimizer.Result optimized = optimizer.optimize(DualNetOnnx.export(model.block(), name, metadata));
            ModelProto onnx = optimized.model().toBuilder().addMetadataProps(StringStringEntryProto.newBuilder()
                    .setKey("graph_rewrites").setValue(json.writeValueAsString(optimized.applied()))).build();
            byte[] bytes = onnx.toByteArray();

            Path versionDir = entry.resolve(Integer.toString(VERSION));
            PairedSamples samples = PairedSamples.of(test, config.testSeed(), bundleSize);
            BundleWriter.write(versionDir.resolve(ParityBundle.DIRECTORY),
                    EngineParity.reference(samples, EngineOutputs.of(model, samples), Tolerance.DEFAULTS),
                    "Fixed dualnet inputs and the training engine's outputs for them.",
                    Map.of("engine", "DJL " + ai.djl.engine.Engine.getDjlVersion() + " / PyTorch "
                                    + ai.djl.engine.Engine.getEngine("PyTorch").getVersion(),
                            "data", "the first " + samples.size() + " MNIST test images",
                            "testSeed", config.testSeed(),
                            "dataChecksums", dataChecksums,
                            "checkpoint", relative(checkpoint)));
            Path modelFile = versionDir.resolve(MODEL_FILE);
            AtomicFiles.write(modelFile, out -> out.write(bytes));
            AtomicFiles.writeString(entry.resolve(CONFIG_FILE), TritonConfig.dualnet(name, maxBatchSize, 100));
            String modelSha = Sha256.of(bytes);
            ModelCard card = new ModelCard(name, VERSION, config.preset(), model.parameterCount(), last(state),
                    state.history(), config, metadata.get("config_sha256"), dataChecksums,
                    relative(checkpoint), command,
                    Map.of("file", VERSION + "/" + MODEL_FILE, "opset", DualNetOnnx.OPSET,
                            "irVersion", ModelAssembly.IR_VERSION, "sha256", modelSha,
                            "graphRewrites", optimized.applied()),
                    Map.of(DualNetInterface.IMAGE, "float32 [N,1,28,28], pixels in [0,1]",
                            DualNetInterface.NUMBER, "int64 [N], 0..9"),
                    Map.of(DualNetInterface.DIGIT, "float32 [N,10], digit probabilities",
                            DualNetInterface.SUM, "float32 [N,19], probabilities of digit + number"));
            AtomicFiles.writeString(entry.resolve(CARD_FILE), Json.writer().writeValueAsString(card));
            return new Result(entry, modelFile, modelSha, card);
        }
    }

    /** A path as given relative to the working directory when it lies below it, so cards stay portable. */
    private static String relative(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path cwd = Path.of("").toAbsolutePath();
        return absolute.startsWith(cwd) ? cwd.relativize(absolute).toString() : absolute.toString();
    }

    /**
     * The data checksums keyed by file name rather than by the absolute path they were read from, so
     * that a shipped model does not carry the training machine's directories; files whose names clash
     * keep their path ({@link #relative}).
     */
    static Map<String, String> byFileName(Map<String, String> checksumsByPath) {
        Map<String, Long> nameCounts = checksumsByPath.keySet().stream()
                .collect(Collectors.groupingBy(ModelExport::fileName, Collectors.counting()));
        Map<String, String> byName = new TreeMap<>();
        checksumsByPath.forEach((path, sha) -> {
            String name = fileName(path);
            byName.put(nameCounts.get(name) == 1 ? name : relative(Path.of(path)), sha);
        });
        return byName;
    }

    private static String fileName(String path) {
        return Path.of(path).getFileName().toString();
    }

    private static EpochMetrics last(CheckpointState state) {
        return state.history().get(state.history().size() - 1);
    }
}
