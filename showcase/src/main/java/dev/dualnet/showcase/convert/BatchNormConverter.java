package dev.dualnet.showcase.convert;

import ai.djl.nn.norm.BatchNorm;
import dev.dualnet.exporter.graph.Attributes;
import dev.dualnet.exporter.graph.OnnxGraph;
import dev.dualnet.exporter.graph.Value;
import java.util.Arrays;
import java.util.List;

/**
 * DJL {@link BatchNorm} (channel axis 1) to ONNX {@code BatchNormalization} in inference mode,
 * using the running mean and variance.
 *
 * <p>DJL keeps epsilon private and does not save it with the parameters, so the converter uses
 * DJL's default, {@value #DJL_DEFAULT_EPSILON}; a block built with another epsilon exports with
 * the wrong one, which the parity check then reports.
 */
final class BatchNormConverter implements BlockConverter<BatchNorm> {
    static final float DJL_DEFAULT_EPSILON = 1e-5f;

    @Override
    public Class<BatchNorm> blockType() {
        return BatchNorm.class;
    }

    @Override
    public List<Value> convert(BatchNorm block, String path, List<Value> inputs, ExportContext context) {
        Value x = inputs.get(0);
        Value mean = context.parameter(block, path, "runningMean");
        long channels = mean.dim(0);
        if (x.rank() < 2 || x.dim(1) != channels) {
            throw new UnsupportedBlockException(path, "BatchNorm over " + channels + " channels on input "
                    + Arrays.toString(x.shape()) + "; only channel axis 1 is exported");
        }
        Value scale = ExportContext.hasParameter(block, "gamma") ? context.parameter(block, path, "gamma")
                : constant(context, path + "_gamma", channels, 1f);
        Value bias = ExportContext.hasParameter(block, "beta") ? context.parameter(block, path, "beta")
                : constant(context, path + "_beta", channels, 0f);
        Value variance = context.parameter(block, path, "runningVar");
        return List.of(context.node("BatchNormalization", path, List.of(x, scale, bias, mean, variance),
                Attributes.none().real("epsilon", DJL_DEFAULT_EPSILON), OnnxGraph.FLOAT, x.shape()));
    }

    private static Value constant(ExportContext context, String name, long channels, float value) {
        float[] data = new float[(int) channels];
        Arrays.fill(data, value);
        return context.graph().initializer(name, data, channels);
    }
}
