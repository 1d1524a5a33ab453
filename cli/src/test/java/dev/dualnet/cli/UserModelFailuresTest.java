package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.dualnet.cli.testing.CapturedRun;
import dev.dualnet.cli.testing.LightClassPath;
import dev.dualnet.common.Sha256;
import dev.dualnet.exporter.onnx.proto.Onnx;
import dev.dualnet.packager.testing.SavedModels;
import dev.dualnet.server.testing.TestServer;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What goes wrong with a user's own model is caught: a weight changed after export, a corrupted
 * model.onnx, and every bad argument, each with one line and its exit code.
 */
class UserModelFailuresTest {
    @TempDir
    Path dir;

    private final CapturedRun cli = new CapturedRun();
    private Path model;
    private Path repo;
    private Path entry;

    @BeforeEach
    void exportAnLstm() throws Exception {
        model = SavedModels.lstm(dir);
        repo = dir.resolve("repo");
        entry = repo.resolve("lstm");
        assertThat(export(model, entry, "x:float32:N,5,4")).as(cli::err).isZero();
        cli.clearErr();
    }

    private int export(Path modelDir, Path out, String... inputs) {
        List<String> args = new ArrayList<>(List.of("export", "--djl-model", modelDir.toString(), "--out",
                out.toString(), "--bundle-size", "4"));
        for (String input : inputs) {
            args.addAll(List.of("--input", input));
        }
        return cli.run(args.toArray(String[]::new));
    }

    @Test
    void oneWeightChangedAfterExportFailsEngineParity() throws Exception {
        SavedModels.editWeight(model, "02Linear_weight", 0.5f, new Shape(1, 5, 4));
        Path report = dir.resolve("report");
        assertThat(cli.run("parity", "--model", entry.toString(), "--djl-model", model.toString(), "--report-dir",
                report.toString())).isEqualTo(1);
        assertThat(report.resolve("TEST-dualnet-parity.xml")).content().contains("<failure");
        assertThat(TestServer.mapper().readTree(report.resolve("parity-report.json").toFile()).path("passed")
                .asBoolean()).isFalse();
        // The bundle still matches the ONNX model: the change is in the DJL model alone.
        try (LightClassPath light = new LightClassPath()) {
            assertThat(light.run("parity", "--model", entry.toString(), "--report-dir", dir.resolve("bundle").toString()))
                    .isZero();
        }
    }

    @Test
    void aCorruptedModelFailsBundleParityAndTheServerRefusesIt() throws Exception {
        Path onnx = entry.resolve("1/model.onnx");
        corruptLargestInitializer(onnx);
        try (LightClassPath light = new LightClassPath()) {
            assertThat(light.run("parity", "--model", entry.toString(), "--report-dir", dir.resolve("r").toString()))
                    .isEqualTo(1);
        }
        // Another model beside it, so the server starts and serves what it can.
        TestServer.copyEntry(TestServer.adderEntry(), repo, "adder");
        try (TestServer server = TestServer.start(repo, true, 100)) {
            assertThat(server.get("/v2/models/lstm/ready").statusCode()).isEqualTo(400);
            assertThat(TestServer.json(server.get("/v2/models/lstm/ready")).get("error").asText())
                    .contains("does not match the SHA-256 recorded in model_card.json");
            assertThat(server.get("/v2/models/adder/ready").statusCode()).isEqualTo(200);
        }

        // With the card rewritten to the corrupted file's digest, the bundle alone refuses it.
        ObjectNode card = (ObjectNode) TestServer.mapper().readTree(entry.resolve("model_card.json").toFile());
        ((ObjectNode) card.get("onnx")).put("sha256", Sha256.of(onnx));
        TestServer.mapper().writeValue(entry.resolve("model_card.json").toFile(), card);
        try (TestServer server = TestServer.start(repo, true, 100)) {
            assertThat(server.get("/v2/models/lstm/ready").statusCode()).isEqualTo(400);
            assertThat(TestServer.json(server.get("/v2/models/lstm/ready")).get("error").asText()).contains("parity");
            assertThat(server.post("/v2/models/lstm/infer", "{}").statusCode()).isEqualTo(503);
        }
    }

    /** Adds 0.25 to each element of the largest weight: still a valid model, with other answers. */
    private static void corruptLargestInitializer(Path onnx) throws Exception {
        Onnx.ModelProto proto = Onnx.ModelProto.parseFrom(Files.readAllBytes(onnx));
        Onnx.GraphProto.Builder graph = proto.getGraph().toBuilder();
        int largest = 0;
        for (int i = 1; i < graph.getInitializerCount(); i++) {
            if (graph.getInitializer(i).getRawData().size() > graph.getInitializer(largest).getRawData().size()) {
                largest = i;
            }
        }
        Onnx.TensorProto tensor = graph.getInitializer(largest);
        ByteBuffer raw = ByteBuffer.wrap(tensor.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < raw.capacity(); i += Float.BYTES) {
            raw.putFloat(i, raw.getFloat(i) + 0.25f);
        }
        graph.setInitializer(largest, tensor.toBuilder().setRawData(ByteString.copyFrom(raw.array())));
        Files.write(onnx, proto.toBuilder().setGraph(graph).build().toByteArray());
    }

    @Test
    void anExportThatOnnxRuntimeShowsWrongIsNotWritten() throws Exception {
        Path mistyped = SavedModels.mistypedExport(dir);
        Path out = repo.resolve("mistyped");
        assertThat(export(mistyped, out, "x:float32:N,4")).isEqualTo(1);
        List<String> lines = cli.err().lines().toList();
        assertThat(lines.get(0)).isEqualTo("error: ONNX Runtime disagrees with DJL on the parity inputs; nothing was"
                + " written to " + out);
        assertThat(lines.get(1)).startsWith("  output_0: FAIL;").contains("worst at [", "expected ", ", got ");
        assertThat(out).doesNotExist();
        try (var left = Files.list(repo)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("lstm");
        }
    }

    @Test
    void anUnknownDtype() {
        assertThat(export(model, repo.resolve("a"), "x:float31:N,5,4")).isEqualTo(2);
        assertThat(cli.err().strip()).isEqualTo("error: --input x:float31:N,5,4: unknown element type 'float31';"
                + " expected one of float32, float16, float64, int32, int64, int8, uint8, bool");
        assertThat(repo.resolve("a")).doesNotExist();
    }

    @Test
    void aWrongRank() {
        assertThat(export(model, repo.resolve("a"), "x:float32:N,5")).isEqualTo(2);
        assertThat(cli.err().strip()).isEqualTo("error: --input x:float32:N,5 has rank 2, but the model's input 1 has"
                + " rank 3 (saved for (1, 5, 4))");
        assertThat(repo.resolve("a")).doesNotExist();
    }

    @Test
    void aMissingDirectory() {
        Path missing = dir.resolve("nowhere");
        assertThat(export(missing, repo.resolve("a"), "x:float32:N,5,4")).isEqualTo(2);
        assertThat(cli.err().strip()).isEqualTo("error: no model directory at " + missing + ": expected a directory"
                + " saved the DJL way (NAME-NNNN.params and serving.properties naming blockFactory=<class>)");
    }

    @Test
    void aFactoryThatIsNotThere() throws Exception {
        Files.writeString(model.resolve("serving.properties"), "blockFactory=userzoo.Missing\n");
        assertThat(export(model, repo.resolve("a"), "x:float32:N,5,4")).isEqualTo(2);
        assertThat(cli.err().strip()).isEqualTo("error: blockFactory userzoo.Missing is not in "
                + model.resolve("classes") + ", in a jar in " + model + " or on --classpath: put the factory's"
                + " compiled classes there");
    }

    @Test
    void parametersWhosePrefixIsNotTheDirectoryName() throws Exception {
        Path renamed = Files.move(model, dir.resolve("recurrent"));
        assertThat(export(renamed, repo.resolve("a"), "x:float32:N,5,4")).isEqualTo(2);
        assertThat(cli.err().strip()).startsWith("error: " + renamed + " holds lstm-0000.params, but DJL loads"
                + " recurrent-NNNN.params from a directory named recurrent");
        assertThat(cli.err().lines()).hasSize(1);
    }

    @Test
    void aTorchScriptDirectory() throws Exception {
        Path traced = Files.createDirectories(dir.resolve("traced"));
        Files.write(traced.resolve("traced.pt"), new byte[] {0x50, 0x4b, 3, 4});
        assertThat(export(traced, repo.resolve("a"), "x:float32:N,5,4")).isEqualTo(2);
        assertThat(cli.err().strip()).startsWith("error: " + traced + " holds a TorchScript model (traced.pt) and no"
                + " blockFactory: TorchScript is a compiled PyTorch graph").contains("cannot be exported from Java");
        assertThat(cli.err().lines()).hasSize(1);
    }

    @Test
    void noInputsAndOptionsOfTheOtherMode() {
        assertThat(export(model, repo.resolve("a"))).isEqualTo(2);
        assertThat(cli.err().strip()).isEqualTo("error: give the model's inputs with --input NAME:DTYPE:SHAPE, in the"
                + " order its forward pass takes them");
        cli.clearErr();
        assertThat(cli.run("export", "--djl-model", model.toString(), "--out", repo.resolve("a").toString(),
                "--input", "x:float32:N,5,4", "--literal")).isEqualTo(2);
        assertThat(cli.err().strip()).isEqualTo("error: --literal applies with --checkpoint, not with --djl-model");
        assertThat(repo.resolve("a")).doesNotExist();
    }
}
