package dev.dualnet.exporter.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.transformer.IdEmbedding;
import dev.dualnet.exporter.OnnxExport;
import dev.dualnet.exporter.OnnxExportException;
import dev.dualnet.exporter.TensorSpec;
import dev.dualnet.exporter.testing.ExportCheck;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IndexingOpsTest {
    @TempDir
    Path dir;

    private static Block lambda(NDManager manager, Function<NDList, NDList> function, Shape... shapes) {
        Block block = new LambdaBlock(function);
        block.initialize(manager, DataType.FLOAT32, shapes);
        return block;
    }

    private static void assertRan(ExportCheck.Result result, int runs) {
        assertThat(result.maxErrors()).hasSize(runs);
    }

    /** Index strings that keep the dynamic batch axis 0. */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        ":,1,:;13", ":,1,:;17", ":,1,:;18", ":, -1;17", "..., 0;13", "..., 0;18", "null, :, 2;17", ":, 1:3;17",
        ":, -2:;13", ":, ::2;17", ":, 1:, ::2, -1;18", "..., 1:3;17", ":, null, 0, ..., null;17", ":, :, 2, ::3;17",
        ":, -3:-1, null, 1:100;17", ":, 10:;17", ":, 2:1;17", "..., -1, 1:;17", "*, 3;17", ":, 1:4:2, 0:5:3;13",
        "...;17", ":, -100:2;17", "..., null;17"})
    void indexStringsWithDynamicBatch(String index, int opset) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> new NDList(list.head().get(index)), new Shape(2, 4, 5, 6));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,4,5,6").opset(opset)
                    .batches(1, 7).run(dir), 2);
        }
    }

    /** Index strings on a fixed leading axis, with the dynamic axis behind it. */
    @ParameterizedTest
    @ValueSource(strings = {"2", "1:3", "-2:", "::2", "-1", "0, :, 1", "1:4:2, -1", "null", "null, 2", "-3:-1, ..., 0",
        "..., 0", "0, ..., null"})
    void indexStringsOnFixedAxis(String index) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> new NDList(list.head().get(index)), new Shape(4, 2, 3));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "4,N,3").batches(1, 7).run(dir), 2);
        }
    }

    /** Index strings that fix or slice the first axis, on a fixed shape. */
    @ParameterizedTest
    @ValueSource(strings = {"2", "1:3", "-2:", "::2", "-1", "0, 1", "1:4:2, -1", "null, 2", "-3:-1, 1", "2, ..., 1:",
        "0, 1, 2", "-5, null, -1, ::2"})
    void indexStringsOnFixedShape(String index) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> new NDList(list.head().get(index)), new Shape(5, 4, 3));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "5,4,3").run(dir), 1);
        }
    }

    @Test
    void longIndicesAndScalarArgs() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray x = list.head();
                return new NDList(x.get(1, -1), x.get(x.getManager(), 0), x.get(x.getManager(), 1, -1),
                        x.get("..., {}", 2), x.get("{}:{}:{}", 0, 3, 2), x.getScalar(3, 0, 2));
            }, new Shape(4, 2, 3));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "4,N,3").batches(1, 7).run(dir), 2);
        }
    }

    /** {@code SparseMax}'s per-position selection and {@code BertBlock}'s first-token read. */
    @Test
    void formsTheTransformerBlocksUse() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray x = list.head();
                NDList out = new NDList(x.get(new NDIndex(":,1,:")));
                for (int j = 0; j < 3; j++) {
                    out.add(x.get("..., {}", j));
                }
                return out;
            }, new Shape(2, 4, 3));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,4,3").batches(1, 7).run(dir), 2);
        }
    }

    /** The squeeze after {@code :,1,:} keeps the batch axis, so it runs at batches other than 1. */
    @Test
    void bertFirstTokenSqueezed() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> new NDList(list.head().get(new NDIndex(":,1,:")).squeeze()),
                    new Shape(2, 4, 3));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,4,3").batches(2, 7).run(dir), 2);
        }
    }

    /** Slice bounds and positions that derive from the dynamic size. */
    @Test
    void dynamicBoundsAndPositions() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray flat = list.head().flatten();
                long n = list.head().getShape().get(0);
                return new NDList(flat.get(":{}", 3 * n), flat.get(":{}", -n), flat.get("{}::2", 2 * n),
                        flat.get("{}", 3 * n), flat.get(-n), flat.get("{}:{}", n, 2 * n));
            }, new Shape(2, 6));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,6").batches(1, 7).run(dir), 2);
        }
    }

    /** Integer array indices: one, several (adjacent or not, broadcasting), 0-d, with slices and new axes. */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "{};17", ":, {};17", ":, :, {};13", "..., {};18", "{}, {};17", ":, {}, {};17", "{}, :, {};17",
        "{}, {}, {};17", "null, {}, 1:, {};17", "1:3, {}, {};17", "{}, 1, {};17", "{}, null, {};17"})
    void takeIndicesOnFixedShape(String index, int opset) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray x = list.head();
                NDManager m = x.getManager();
                NDArray[] arrays = {m.create(new long[] {2, 0, -1}), m.create(new int[] {1, 3, 0}, new Shape(3, 1)),
                    m.create(new float[] {0, 2, 4})};
                long count = index.chars().filter(c -> c == '{').count();
                Object[] args = new Object[(int) count];
                System.arraycopy(arrays, 0, args, 0, args.length);
                return new NDList(x.get(index, args));
            }, new Shape(4, 5, 6));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "4,5,6").opset(opset).run(dir), 1);
        }
    }

    /** A 0-d integer array selects like a number (PyTorch), so it does not join the other array index. */
    @Test
    void scalarArrayIndexSelects() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray x = list.head();
                NDManager m = x.getManager();
                return new NDList(x.get("{}, :, {}", m.create(2L), m.create(new long[] {0, 5, 1})),
                        x.get("{}, {}", m.create(new long[] {1, 2}), m.create(-1L)));
            }, new Shape(4, 5, 6));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "4,5,6").run(dir), 1);
        }
    }

    /** Index arrays that are inputs, with a dynamic batch. */
    @Test
    void takeWithIndexInputs() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray x = list.get(0);
                NDArray ids = list.get(1);
                return new NDList(x.get(":, {}", ids), x.get(new NDIndex(":, {}, {}", ids, ids)),
                        x.get(new NDIndex(":, {}", ids.get(0))), x.get(ids.get("0:1").mul(0)));
            }, new Shape(2, 5, 6), new Shape(3));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,5,6")
                    .input("ids", DataType.INT64, "K", ExportCheck.integers(5)).traceSizes("K", 5, 7)
                    .at(Map.of("N", 1L, "K", 4L)).at(Map.of("N", 7L, "K", 2L)).run(dir), 2);
        }
    }

    /** get(NDArray) with an integer array indexes axis 0. */
    @Test
    void getWithIntegerArray() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray x = list.head();
                return new NDList(x.get(x.getManager().create(new long[] {3, -4, 1}, new Shape(3, 1))));
            }, new Shape(4, 2));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "4,N").batches(1, 7).run(dir), 2);
        }
    }

    /** A pick gathers along the axis after the {@code :} elements; an index of lower rank is reshaped as the engine does. */
    @Test
    void pick() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray x = list.get(0);
                NDArray picks = list.get(1);
                NDArray sameRank = picks.expandDims(1).concat(picks.expandDims(1), 1);
                return new NDList(x.get(new NDIndex().addAllDim().addPickDim(picks)),
                        x.get(new NDIndex().addAllDim().addPickDim(sameRank)),
                        x.get(new NDIndex("..., :").addPickDim(picks)));
            }, new Shape(2, 5), new Shape(2));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,5")
                    .input("picks", DataType.INT64, "N", ExportCheck.integers(5)).batches(1, 7).run(dir), 2);
        }
    }

    @Test
    void pickAlongTheFirstAxis() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray x = list.head();
                NDArray picks = x.getManager().create(new int[] {3, 0, 2, 2});
                NDArray smaller = x.getManager().create(new int[] {1, 0, 3, 2, 2, 0}, new Shape(2, 1, 3));
                return new NDList(x.get(new NDIndex().addPickDim(picks)), x.get(new NDIndex().addPickDim(smaller)));
            }, new Shape(4, 2, 3));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "4,2,3").run(dir), 1);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, -1})
    void gather(int axis) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray x = list.get(0);
                NDArray smaller = x.getManager().create(new long[] {4, 0, 1, 2, 3, 3}, new Shape(1, 6));
                return new NDList(x.gather(list.get(1), axis), x.gather(smaller.get(":, 0:3"), axis));
            }, new Shape(2, 5), new Shape(2, 3));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,5")
                    .input("index", DataType.INT64, "N,3", ExportCheck.integers(5)).batches(1, 7).run(dir), 2);
        }
    }

    /** DJL's gatherNd: one index row per leading data axis; negative positions count over the merged axes. */
    @Test
    void gatherNdConstantIndex() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray x = list.head();
                NDManager m = x.getManager();
                NDArray two = m.create(new long[] {0, 2, 1, -1, 1, -1, 0, 3}, new Shape(2, 2, 2));
                NDArray three = m.create(new int[] {1, 0, 1, 2, 0, -1}, new Shape(3, 2));
                return new NDList(x.gatherNd(two), x.gatherNd(three), x.gatherNd(m.create(new long[] {2, 0}, new Shape(1, 2))));
            }, new Shape(3, 4, 2));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "3,4,2").run(dir), 1);
        }
    }

    /** An index input with a dynamic axis, and data with a dynamic axis merged into the linear position. */
    @Test
    void gatherNdDynamic() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray x = list.get(0);
                NDArray ids = list.get(1);
                NDArray table = x.getManager().arange(24f).reshape(3, 4, 2);
                NDArray rows = ids.get("0:1");
                // The engine's gatherNd scales its index's rows in place: it gets a copy of the input.
                return new NDList(table.gatherNd(ids.duplicate()), x.gatherNd(rows.concat(rows.mul(0))));
            }, new Shape(2, 3, 2), new Shape(2, 4));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "3,N,2")
                    .input("ids", DataType.INT64, "2,N", ExportCheck.integers(3)).batches(1, 7).run(dir), 2);
        }
    }

    @Test
    void take() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray x = list.head();
                NDManager m = x.getManager();
                return new NDList(x.take(m.create(new long[] {4, 0, -1})),
                        x.take(m.create(new int[] {1, 2, 3, -5}, new Shape(2, 2))), x.take(m.create(3L)));
            }, new Shape(2, 5));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,5").batches(1, 7).run(dir), 2);
        }
    }

    /** {@code IdEmbedding} (in {@code BertBlock}): flatten, reshape to one row, gatherNd, reshape. */
    @ParameterizedTest
    @ValueSource(ints = {13, 17, 18})
    void idEmbedding(int opset) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            IdEmbedding block = new IdEmbedding.Builder().setDictionarySize(11).setEmbeddingSize(4).build();
            block.initialize(manager, DataType.FLOAT32, new Shape(2, 6));
            assertRan(ExportCheck.of(block, manager).input("ids", DataType.INT64, "N,6", ExportCheck.integers(11))
                    .opset(opset).batches(1, 7).run(dir), 2);
        }
    }

    @Test
    void constantMasks() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray x = list.head();
                NDManager m = x.getManager();
                NDArray rows = m.create(new boolean[] {true, false, true, true});
                NDArray cells = m.create(new boolean[] {false, true, true, false, false, true}, new Shape(2, 3));
                NDArray none = m.create(new boolean[] {false, false, false, false});
                return new NDList(x.get(rows), x.get(none), x.booleanMask(cells, 1), x.get("1").booleanMask(cells),
                        x.get(1).booleanMask(cells.get(0), 1).get(":, 1:"));
            }, new Shape(4, 2, 3));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "4,2,3").run(dir), 1);
        }
    }

    @Test
    void constantMaskWithDynamicBatch() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray x = list.head();
                NDArray cells = x.getManager().create(new boolean[] {false, true, true, false, false, true},
                        new Shape(2, 3));
                return new NDList(x.booleanMask(cells, 1),
                        x.transpose(1, 0, 2).get(x.getManager().create(new boolean[] {false, true})));
            }, new Shape(2, 2, 3));
            assertRan(ExportCheck.of(block, manager).input("x", DataType.FLOAT32, "N,2,3").batches(1, 7).run(dir), 2);
        }
    }

    /** A mask computed from the inputs selects a data-dependent number of elements: the export refuses it. */
    @ParameterizedTest
    @ValueSource(strings = {"get", "booleanMask", "index"})
    void dataDependentMaskFails(String form) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = lambda(manager, list -> {
                NDArray x = list.head();
                NDArray mask = x.gt(0.5);
                return new NDList(switch (form) {
                    case "get" -> x.get(mask);
                    case "booleanMask" -> x.booleanMask(mask);
                    default -> x.get(new NDIndex().addBooleanIndex(mask));
                });
            }, new Shape(3, 4));
            OnnxExport export = OnnxExport.of(block).input(new TensorSpec("x", DataType.FLOAT32,
                    dev.dualnet.exporter.Dim.parseShape("3,4")));
            assertThatThrownBy(export::toModel).isInstanceOf(OnnxExportException.class)
                    .hasMessageContaining("boolean mask");
        }
    }
}
