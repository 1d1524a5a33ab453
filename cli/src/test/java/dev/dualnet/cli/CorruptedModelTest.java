package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.dualnet.showcase.ModelExport;
import dev.dualnet.exporter.onnx.proto.Onnx;
import dev.dualnet.showcase.testing.TinyRuns;
import dev.dualnet.parity.ParityCheck;
import dev.dualnet.parity.ParityReport;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.trainer.data.MnistSource;
import dev.dualnet.trainer.model.Preset;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** One weight changed in an exported model must be caught by both parity checks. */
class CorruptedModelTest {
    @TempDir
    Path dir;

    Path good;
    Path bad;
    Path run;

    @BeforeEach
    void exportAndCorrupt() throws Exception {
        run = TinyRuns.run(Preset.SEED);
        good = dir.resolve("good");
        new ModelExport().export(run, good, 16, TinyRuns.data().test(), 64, "test");
        bad = dir.resolve("bad");
        Files.createDirectories(bad.resolve("1"));
        Onnx.ModelProto model = Onnx.ModelProto.parseFrom(Files.readAllBytes(good.resolve("1").resolve("model.onnx")));
        Onnx.GraphProto.Builder graph = model.getGraph().toBuilder();
        int largest = 0; // the biggest weight matrix, whatever the graph rewrites named it
        for (int i = 1; i < graph.getInitializerCount(); i++) {
            if (graph.getInitializer(i).getRawData().size() > graph.getInitializer(largest).getRawData().size()) {
                largest = i;
            }
        }
        Onnx.TensorProto tensor = graph.getInitializer(largest);
        assertThat(tensor.getDataType()).isEqualTo(Onnx.TensorProto.DataType.FLOAT_VALUE);
        ByteBuffer raw = ByteBuffer.wrap(tensor.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        raw.putFloat(0, raw.getFloat(0) + 0.25f);
        graph.setInitializer(largest, tensor.toBuilder().setRawData(ByteString.copyFrom(raw.array())));
        Files.write(bad.resolve("1").resolve("model.onnx"), model.toBuilder().setGraph(graph).build().toByteArray());
        copyTree(good.resolve("1").resolve("parity"), bad.resolve("1").resolve("parity"));
    }

    @Test
    void bundleCheckCatchesOneChangedWeight() {
        ParityReport goodReport = ParityCheck.againstBundle(good, null, null, null, RuntimeOptions.defaults());
        ParityReport badReport = ParityCheck.againstBundle(bad, null, null, null, RuntimeOptions.defaults());
        assertThat(goodReport.passed()).isTrue();
        assertThat(badReport.passed()).isFalse();
        assertThat(badReport.outputs()).anySatisfy(o -> assertThat(o.outsideTolerance()).isPositive());
    }

    @Test
    void engineCheckCatchesOneChangedWeightAndExitsOne() {
        StringWriter out = new StringWriter();
        CommandLine cli = Dualnet.commandLine();
        cli.setErr(new PrintWriter(out, true));
        int exit = cli.execute("parity", "--model", bad.toString(), "--checkpoint", run.toString(), "--limit", "500",
                "--report-dir", dir.resolve("report").toString());
        assertThat(exit).isEqualTo(1);
        assertThat(dir.resolve("report").resolve("TEST-dualnet-parity.xml")).content().contains("<failure");
        assertThat(cli.execute("parity", "--model", good.toString(), "--checkpoint", run.toString(), "--limit", "500",
                "--report-dir", dir.resolve("report2").toString())).isZero();
    }

    /** A CI gate on the user's own data needs only test files: the check never trains. */
    @Test
    void engineCheckRunsOnTheUsersOwnTestFilesAlone() {
        Path official = MnistSource.defaultCacheDir(System.getenv());
        String[] ownTestFiles = {"--test-images", official.resolve("t10k-images-idx3-ubyte").toString(),
                "--test-labels", official.resolve("t10k-labels-idx1-ubyte").toString(),
                "--data-dir", dir.resolve("cache").toString(), "--npm", dir.resolve("no-npm").toString()};
        StringWriter err = new StringWriter();
        CommandLine cli = Dualnet.commandLine();
        cli.setErr(new PrintWriter(err, true));
        assertThat(cli.execute(concat(new String[] {"parity", "--model", good.toString(), "--checkpoint",
                run.toString(), "--limit", "300", "--report-dir", dir.resolve("r1").toString()}, ownTestFiles)))
                .as(err.toString()).isZero();
        assertThat(cli.execute(concat(new String[] {"parity", "--model", bad.toString(), "--checkpoint",
                run.toString(), "--limit", "300", "--report-dir", dir.resolve("r2").toString()}, ownTestFiles)))
                .as(err.toString()).isEqualTo(1);
        assertThat(dir.resolve("cache")).as("the official cache is not touched").doesNotExist();
    }

    private static String[] concat(String[] a, String[] b) {
        String[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    @Test
    void engineCheckOfAMissingModelFailsBeforeMnistIsFetched() {
        StringWriter err = new StringWriter();
        CommandLine cli = Dualnet.commandLine();
        cli.setErr(new PrintWriter(err, true));
        Path missing = dir.resolve("missing");
        assertThat(cli.execute("parity", "--model", missing.toString(), "--checkpoint", run.toString(),
                "--data-dir", dir.resolve("cache").toString(), "--npm", dir.resolve("no-npm").toString())).isEqualTo(2);
        assertThat(err.toString()).startsWith("error: ").contains("model file not found");
        assertThat(dir.resolve("cache")).doesNotExist();
    }

    @Test
    void modelWithoutBundleIsBadInputNamingTheBundle() throws Exception {
        Path lone = dir.resolve("lone");
        Files.createDirectories(lone.resolve("1"));
        Files.copy(good.resolve("1").resolve("model.onnx"), lone.resolve("1").resolve("model.onnx"));
        StringWriter err = new StringWriter();
        CommandLine cli = Dualnet.commandLine();
        cli.setErr(new PrintWriter(err, true));
        assertThat(cli.execute("parity", "--model", lone.toString(), "--report-dir", dir.resolve("r").toString()))
                .isEqualTo(2);
        assertThat(err.toString()).startsWith("error: ")
                .contains(lone.resolve("1").resolve("parity").resolve("manifest.json").toAbsolutePath().toString())
                .contains("no parity bundle manifest").doesNotContain("\tat ");
    }

    private static void copyTree(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }
}
