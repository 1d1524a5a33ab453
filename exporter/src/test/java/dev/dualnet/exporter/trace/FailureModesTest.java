package dev.dualnet.exporter.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.OnnxExportException.Reason;
import dev.dualnet.exporter.testing.ExportCheck;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each way an export can fail says what went wrong, in which block, and for which opset. */
class FailureModesTest {
    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** Linear(4) then a lambda, under a sequential block inside a sequential block. */
    private Block network(LambdaBlock lambda) {
        return network(lambda, 1);
    }

    /** The same, initialised for a batch of {@code batch} (a lambda block runs once when initialised). */
    private Block network(LambdaBlock lambda, int batch) {
        SequentialBlock inner = new SequentialBlock().add(Linear.builder().setUnits(4).build())
                .add(Activation.reluBlock()).add(lambda);
        SequentialBlock block = new SequentialBlock().add(Linear.builder().setUnits(6).build()).add(inner);
        block.initialize(manager, DataType.FLOAT32, new Shape(batch, 5));
        return block;
    }

    @Test
    void unmappedOperationNamesMethodBlockAndOpset() {
        Block block = network(new LambdaBlock(x -> new NDList(x.head().erfinv())));
        assertThatThrownBy(() -> OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 5).opset(15).toModel())
                .isInstanceOfSatisfying(OnnxExportException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.UNMAPPED_OPERATION);
                    assertThat(e.method()).isEqualTo("NDArray.erfinv()");
                    assertThat(e.blockPath()).isEqualTo("02SequentialBlock_03LambdaBlock");
                    assertThat(e.opset()).isEqualTo(15);
                })
                .hasMessageContaining("NDArray.erfinv() has no ONNX mapping")
                .hasMessageContaining("block '02SequentialBlock_03LambdaBlock'")
                .hasMessageContaining("opset 15");
    }

    @Test
    void unmappedOperationOnConstantsFoldsInstead() throws Exception {
        // erfinv of a constant depends on no input: it folds into an initializer and needs no mapping.
        Block block = network(new LambdaBlock(x -> {
            NDArray constant = x.head().getManager().create(new float[] {0.1f, 0.2f, 0.3f, 0.4f}).erfinv();
            return new NDList(x.head().add(constant));
        }));
        ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,5").batches(1, 7).run(dir);
    }

    @Test
    void sizeThatCannotStayDynamicNamesTheBlock() {
        // A loop over the batch runs a different number of operations at each batch size.
        Block block = network(new LambdaBlock(x -> {
            NDArray in = x.head();
            NDList rows = new NDList();
            for (int i = 0; i < in.getShape().get(0); i++) {
                rows.add(in.get(i).mul(2));
            }
            return new NDList(ai.djl.ndarray.NDArrays.stack(rows));
        }));
        assertThatThrownBy(() -> OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 5).toModel())
                .isInstanceOfSatisfying(OnnxExportException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.NOT_DYNAMIC);
                    assertThat(e.blockPath()).isEqualTo("02SequentialBlock_03LambdaBlock");
                    assertThat(e.opset()).isEqualTo(17);
                })
                .hasMessageContaining("branches on a size");
    }

    @Test
    void sizeNoProductOfDimensionsExplainsNamesTheBlock() {
        Block block = network(new LambdaBlock(x -> {
            NDArray in = x.head();
            long n = in.getShape().get(0);
            return new NDList(in.getManager().ones(new Shape(n + 1, 4)));
        }));
        assertThatThrownBy(() -> OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 5).toModel())
                .isInstanceOfSatisfying(OnnxExportException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.NOT_DYNAMIC);
                    assertThat(e.blockPath()).isEqualTo("02SequentialBlock_03LambdaBlock");
                    assertThat(e.method()).isEqualTo("NDManager.ones(Shape,DataType)");
                })
                .hasMessageContaining("no product of the dynamic dimensions");
    }

    @Test
    void aFixedBatchExportsWhatCannotStayDynamic() throws Exception {
        Block block = network(new LambdaBlock(x -> {
            NDArray in = x.head();
            NDList rows = new NDList();
            for (int i = 0; i < in.getShape().get(0); i++) {
                rows.add(in.get(i).mul(2));
            }
            return new NDList(ai.djl.ndarray.NDArrays.stack(rows));
        }));
        ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "3,5").run(dir);
    }

    @Test
    void aForwardPassThatFailsAtATraceSizeNamesTheShapes() throws Exception {
        // [N, 4] into two rows of 2N: dynamic, and fine at every batch size.
        Block rows = network(new LambdaBlock(x -> new NDList(x.head().reshape(2, -1))));
        ExportCheck.of(rows, manager).input("x", DataType.FLOAT32, "N,5").batches(1, 7).run(dir);
        // Eight rows fit the first trace size (N = 2: 8 values) but not the second (12 values).
        Block failing = network(new LambdaBlock(x -> new NDList(x.head().reshape(8, -1))), 2);
        assertThatThrownBy(() -> OnnxExport.of(failing).input("x", DataType.FLOAT32, -1, 5).toModel())
                .isInstanceOfSatisfying(OnnxExportException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.FORWARD_FAILED);
                    assertThat(e.blockPath()).isEqualTo("02SequentialBlock_03LambdaBlock");
                })
                .hasMessageContaining("the forward pass failed while tracing with x (3, 5)");
    }

    @Test
    void javaCodeReadingComputedDataEscapesTheTrace() {
        Block block = network(new LambdaBlock(x -> {
            float first = x.head().toFloatArray()[0];
            return new NDList(x.head().mul(first));
        }));
        assertThatThrownBy(() -> OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 5).toModel())
                .isInstanceOfSatisfying(OnnxExportException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.VALUE_ESCAPES_TRACE);
                    assertThat(e.blockPath()).isEqualTo("02SequentialBlock_03LambdaBlock");
                    assertThat(e.method()).isEqualTo("NDArray.toFloatArray()");
                })
                .hasMessageContaining("value escapes the trace");
    }

    @Test
    void engineArrayMeetingATracedOneEscapesTheTrace() {
        NDArray outside = manager.create(new float[] {1, 2, 3, 4});
        Block block = network(new LambdaBlock(x -> new NDList(outside.mul(x.head()))));
        assertThatThrownBy(() -> OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 5).toModel())
                .isInstanceOfSatisfying(OnnxExportException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.VALUE_ESCAPES_TRACE);
                    assertThat(e.blockPath()).isEqualTo("02SequentialBlock_03LambdaBlock");
                });
    }

    @Test
    void engineArrayAsAnArgumentIsAConstant() throws Exception {
        NDArray outside = manager.create(new float[] {1, 2, 3, 4});
        Block block = network(new LambdaBlock(x -> new NDList(x.head().mul(outside))));
        ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,5").batches(1, 7).run(dir);
    }

    @Test
    void inPlaceChangesThatJavaCannotFollowFail() {
        Block block = network(new LambdaBlock(x -> {
            x.head().set(new ai.djl.ndarray.index.NDIndex(0), 1f);
            return x;
        }));
        assertThatThrownBy(() -> OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 5).toModel())
                .isInstanceOfSatisfying(OnnxExportException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.UNMAPPED_OPERATION);
                    assertThat(e.blockPath()).isEqualTo("02SequentialBlock_03LambdaBlock");
                })
                .hasMessageContaining("changes an array in place");
    }

    @Test
    void badRequestsSayWhatIsExpected() {
        Block block = network(new LambdaBlock(x -> x));
        assertThatThrownBy(() -> OnnxExport.of(block).toModel()).hasMessageContaining("declare the block's inputs");
        assertThatThrownBy(() -> OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 5).opset(12).toModel())
                .hasMessageContaining("opset 12 is not supported; choose 13 to 18");
        assertThatThrownBy(() -> OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 5).output("a", "b").toModel())
                .hasMessageContaining("2 output names given (a, b), but the forward pass returns 1 arrays");
        assertThatThrownBy(() -> OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 5).output("x").toModel())
                .hasMessageContaining("tensor name 'x' is used twice");
        assertThatThrownBy(() -> OnnxExport.of(block).input("x", DataType.FLOAT32, -1, 5)
                .traceSizes("M", 2, 3).toModel()).hasMessageContaining("'M', which no input has");
        Block fresh = new SequentialBlock().add(Linear.builder().setUnits(3).build());
        assertThatThrownBy(() -> OnnxExport.of(fresh).input("x", DataType.FLOAT32, -1, 5).toModel())
                .hasMessageContaining("the block is not initialized");
    }
}
