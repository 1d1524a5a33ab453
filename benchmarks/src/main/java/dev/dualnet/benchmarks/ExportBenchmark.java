package dev.dualnet.benchmarks;

import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.Pair;
import dev.dualnet.exporter.OnnxExport;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Times the export of ResNet-50 (ImageNet layout, 224×224, 1,000 classes, random weights) against
 * one DJL forward pass of the same network at batch 1, paired in each run, and records the peak
 * Java heap an export uses.
 *
 * <p>Usage: {@code ExportBenchmark [RUNS] [LAYERS] [SIDE]} (default 3 runs of ResNet-50 at 224). A
 * run is a median of five forward passes, then one export to a temporary file with a dynamic
 * batch dimension. Peak heap is the sum of the heap pools' peaks from a collection just before the
 * export to its end, so it counts garbage not yet collected too.
 */
public final class ExportBenchmark {
    private static final int FORWARDS = 5;

    private ExportBenchmark() {}

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int layers = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int side = args.length > 2 ? Integer.parseInt(args[2]) : 224;
        Engine.getEngine("PyTorch").setRandomSeed(1);
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = ResNetV1.builder().setImageShape(new Shape(3, side, side)).setNumLayers(layers)
                    .setOutSize(1000).build();
            block.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, side, side));
            long parameterBytes = 0;
            for (Pair<String, Parameter> parameter : block.getParameters()) {
                NDArray array = parameter.getValue().getArray();
                parameterBytes += array.size() * array.getDataType().getNumOfBytes();
            }
            NDArray image = manager.randomUniform(0, 1, new Shape(1, 3, side, side));
            Path dir = Files.createTempDirectory("export-benchmark");
            Path file = dir.resolve("resnet.onnx");
            OnnxExport export = OnnxExport.of(block).input("data", DataType.FLOAT32, -1, 3, side, side)
                    .output("logits");
            for (int i = 0; i < 3; i++) {
                forward(block, manager, image);
            }
            export.write(file);
            System.out.printf(Locale.ROOT, "ResNet-%d at %dx%d: %,d parameter bytes; model file %,d bytes%n", layers,
                    side, side, parameterBytes, Files.size(file));
            System.out.println("run  forward_s  export_s  ratio  peak_heap_MiB  heap/params");
            List<Double> ratios = new ArrayList<>();
            List<Double> exports = new ArrayList<>();
            List<Double> forwards = new ArrayList<>();
            List<Double> heaps = new ArrayList<>();
            for (int run = 1; run <= runs; run++) {
                double[] times = new double[FORWARDS];
                for (int i = 0; i < FORWARDS; i++) {
                    times[i] = forward(block, manager, image);
                }
                double forward = median(times);
                System.gc();
                List<MemoryPoolMXBean> pools = heapPools();
                pools.forEach(MemoryPoolMXBean::resetPeakUsage);
                long start = System.nanoTime();
                export.write(file);
                double seconds = (System.nanoTime() - start) / 1e9;
                long peak = pools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
                double heapRatio = (double) peak / parameterBytes;
                System.out.printf(Locale.ROOT, "%3d  %9.3f  %8.3f  %5.2f  %13.1f  %11.2f%n", run, forward, seconds,
                        seconds / forward, peak / 1048576.0, heapRatio);
                ratios.add(seconds / forward);
                exports.add(seconds);
                forwards.add(forward);
                heaps.add(heapRatio);
            }
            System.out.printf(Locale.ROOT, "median: forward %.3f s, export %.3f s, export/forward %.2f (%.2f-%.2f),"
                    + " peak heap/params %.2f (%.2f-%.2f), %d runs%n", median(forwards), median(exports),
                    median(ratios), min(ratios), max(ratios), median(heaps), min(heaps), max(heaps), runs);
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    private static double forward(Block block, NDManager manager, NDArray image) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = image.duplicate();
            input.attach(scope);
            long start = System.nanoTime();
            NDList out = block.forward(new ParameterStore(scope, false), new NDList(input), false);
            out.head().toFloatArray();
            return (System.nanoTime() - start) / 1e9;
        }
    }

    private static List<MemoryPoolMXBean> heapPools() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double median(List<Double> values) {
        return median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
