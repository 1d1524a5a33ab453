package dev.dualnet.exporter.graph;

import dev.dualnet.exporter.onnx.proto.Onnx.AttributeProto;
import java.util.List;
import java.util.Set;

/**
 * The ONNX operators (default domain) the exporter writes, with the inputs, outputs and attributes
 * each takes and the opset it first exists in. {@link GraphBuilder} checks every node against its
 * entry, so a mapping that writes a node ONNX would reject fails at export, naming the node.
 *
 * <p>Operators whose form changed within opsets 13 to 18 (the Reduce family but ReduceSum takes
 * {@code axes} as an input from 18; Split takes {@code num_outputs} from 18; LpPool gains
 * {@code ceil_mode} in 18) list the union of their attributes here; {@code ops.Emit} picks the
 * form of the target opset.
 */
public enum OnnxOperator {
    ABS("Abs", 1),
    ACOS("Acos", 1),
    ACOSH("Acosh", 1),
    ADD("Add", 2),
    AND("And", 2),
    ARG_MAX("ArgMax", 1, 1, 1, 1, "axis", "keepdims", "select_last_index"),
    ARG_MIN("ArgMin", 1, 1, 1, 1, "axis", "keepdims", "select_last_index"),
    ASIN("Asin", 1),
    ASINH("Asinh", 1),
    ATAN("Atan", 1),
    ATANH("Atanh", 1),
    AVERAGE_POOL("AveragePool", 1, 1, 1, 1, "auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads",
            "strides"),
    BATCH_NORMALIZATION("BatchNormalization", 5, 5, 1, 3, "epsilon", "momentum", "training_mode"),
    CAST("Cast", 1, 1, 1, 1, "to"),
    CEIL("Ceil", 1),
    CLIP("Clip", 1, 3, 1, 1),
    CONCAT("Concat", 1, Integer.MAX_VALUE, 1, 1, "axis"),
    CONSTANT_OF_SHAPE("ConstantOfShape", 1, 1, 1, 1, "value"),
    CONV("Conv", 2, 3, 1, 1, "auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"),
    CONV_TRANSPOSE("ConvTranspose", 2, 3, 1, 1, "auto_pad", "dilations", "group", "kernel_shape", "output_padding",
            "output_shape", "pads", "strides"),
    COS("Cos", 1),
    COSH("Cosh", 1),
    CUM_SUM("CumSum", 2, 2, 1, 1, "exclusive", "reverse"),
    DIV("Div", 2),
    EINSUM("Einsum", 1, Integer.MAX_VALUE, 1, 1, "equation"),
    ELU("Elu", 1, 1, 1, 1, "alpha"),
    EQUAL("Equal", 2),
    ERF("Erf", 1),
    EXP("Exp", 1),
    EXPAND("Expand", 2),
    FLATTEN("Flatten", 1, 1, 1, 1, "axis"),
    FLOOR("Floor", 1),
    GATHER("Gather", 2, 2, 1, 1, "axis"),
    GATHER_ELEMENTS("GatherElements", 2, 2, 1, 1, "axis"),
    GATHER_ND("GatherND", 2, 2, 1, 1, "batch_dims"),
    GEMM("Gemm", 2, 3, 1, 1, "alpha", "beta", "transA", "transB"),
    GLOBAL_AVERAGE_POOL("GlobalAveragePool", 1),
    GLOBAL_LP_POOL("GlobalLpPool", 1, 1, 1, 1, "p"),
    GLOBAL_MAX_POOL("GlobalMaxPool", 1),
    GREATER("Greater", 2),
    GREATER_OR_EQUAL("GreaterOrEqual", 2),
    GRU("GRU", 3, 6, 0, 2, "activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size",
            "layout", "linear_before_reset"),
    IDENTITY("Identity", 1),
    IS_INF("IsInf", 1, 1, 1, 1, "detect_negative", "detect_positive"),
    IS_NAN("IsNaN", 1),
    LAYER_NORMALIZATION("LayerNormalization", 17, 2, 3, 1, 3, "axis", "epsilon", "stash_type"),
    LEAKY_RELU("LeakyRelu", 1, 1, 1, 1, "alpha"),
    LESS("Less", 2),
    LESS_OR_EQUAL("LessOrEqual", 2),
    LOG("Log", 1),
    LOG_SOFTMAX("LogSoftmax", 1, 1, 1, 1, "axis"),
    LP_POOL("LpPool", 1, 1, 1, 1, "auto_pad", "ceil_mode", "dilations", "kernel_shape", "p", "pads", "strides"),
    LSTM("LSTM", 3, 8, 0, 3, "activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size",
            "input_forget", "layout"),
    MAT_MUL("MatMul", 2),
    MAX("Max", 1, Integer.MAX_VALUE, 1, 1),
    MAX_POOL("MaxPool", 1, 1, 1, 2, "auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order",
            "strides"),
    MIN("Min", 1, Integer.MAX_VALUE, 1, 1),
    MOD("Mod", 2, 2, 1, 1, "fmod"),
    MUL("Mul", 2),
    NEG("Neg", 1),
    NON_ZERO("NonZero", 1),
    NOT("Not", 1),
    ONE_HOT("OneHot", 3, 3, 1, 1, "axis"),
    OR("Or", 2),
    PAD("Pad", 2, 4, 1, 1, "mode"),
    POW("Pow", 2),
    PRELU("PRelu", 2),
    RANGE("Range", 3),
    RECIPROCAL("Reciprocal", 1),
    REDUCE_L1("ReduceL1", 1, 2, 1, 1, "axes", "keepdims", "noop_with_empty_axes"),
    REDUCE_L2("ReduceL2", 1, 2, 1, 1, "axes", "keepdims", "noop_with_empty_axes"),
    REDUCE_LOG_SUM_EXP("ReduceLogSumExp", 1, 2, 1, 1, "axes", "keepdims", "noop_with_empty_axes"),
    REDUCE_MAX("ReduceMax", 1, 2, 1, 1, "axes", "keepdims", "noop_with_empty_axes"),
    REDUCE_MEAN("ReduceMean", 1, 2, 1, 1, "axes", "keepdims", "noop_with_empty_axes"),
    REDUCE_MIN("ReduceMin", 1, 2, 1, 1, "axes", "keepdims", "noop_with_empty_axes"),
    REDUCE_PROD("ReduceProd", 1, 2, 1, 1, "axes", "keepdims", "noop_with_empty_axes"),
    REDUCE_SUM("ReduceSum", 1, 2, 1, 1, "keepdims", "noop_with_empty_axes"),
    RELU("Relu", 1),
    RESHAPE("Reshape", 2, 2, 1, 1, "allowzero"),
    RESIZE("Resize", 1, 4, 1, 1, "antialias", "axes", "coordinate_transformation_mode", "cubic_coeff_a",
            "exclude_outside", "extrapolation_value", "keep_aspect_ratio_policy", "mode", "nearest_mode"),
    RNN("RNN", 3, 6, 0, 2, "activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size",
            "layout"),
    ROUND("Round", 1),
    SCATTER_ELEMENTS("ScatterElements", 3, 3, 1, 1, "axis", "reduction"),
    SCATTER_ND("ScatterND", 3, 3, 1, 1, "reduction"),
    SELU("Selu", 1, 1, 1, 1, "alpha", "gamma"),
    SHAPE("Shape", 1, 1, 1, 1, "end", "start"),
    SIGMOID("Sigmoid", 1),
    SIGN("Sign", 1),
    SIN("Sin", 1),
    SINH("Sinh", 1),
    SIZE("Size", 1),
    SLICE("Slice", 3, 5, 1, 1),
    SOFTMAX("Softmax", 1, 1, 1, 1, "axis"),
    SOFTPLUS("Softplus", 1),
    SOFTSIGN("Softsign", 1),
    SPLIT("Split", 1, 2, 1, Integer.MAX_VALUE, "axis", "num_outputs"),
    SQRT("Sqrt", 1),
    SQUEEZE("Squeeze", 1, 2, 1, 1),
    SUB("Sub", 2),
    TAN("Tan", 1),
    TANH("Tanh", 1),
    TILE("Tile", 2),
    TOP_K("TopK", 2, 2, 2, 2, "axis", "largest", "sorted"),
    TRANSPOSE("Transpose", 1, 1, 1, 1, "perm"),
    UNSQUEEZE("Unsqueeze", 2),
    WHERE("Where", 3),
    XOR("Xor", 2);

    /** The lowest opset the exporter writes; every operator above exists in it unless it says otherwise. */
    public static final int MIN_OPSET = 13;

    private final String type;
    private final int since;
    private final int minInputs;
    private final int maxInputs;
    private final int minOutputs;
    private final int maxOutputs;
    private final Set<String> attributes;

    OnnxOperator(String type, int inputs) {
        this(type, MIN_OPSET, inputs, inputs, 1, 1);
    }

    OnnxOperator(String type, int minInputs, int maxInputs, int minOutputs, int maxOutputs, String... attributes) {
        this(type, MIN_OPSET, minInputs, maxInputs, minOutputs, maxOutputs, attributes);
    }

    OnnxOperator(String type, int since, int minInputs, int maxInputs, int minOutputs, int maxOutputs,
            String... attributes) {
        this.type = type;
        this.since = since;
        this.minInputs = minInputs;
        this.maxInputs = maxInputs;
        this.minOutputs = minOutputs;
        this.maxOutputs = maxOutputs;
        this.attributes = Set.of(attributes);
    }

    /** The ONNX {@code op_type}. */
    public String type() {
        return type;
    }

    /** The first opset with this operator in the form the exporter writes. */
    public int since() {
        return since;
    }

    /**
     * Checks a node of this operator.
     *
     * @throws IllegalArgumentException saying which input count, output count or attribute is wrong
     */
    public void validate(int inputs, int outputs, List<AttributeProto> attributeList) {
        if (inputs < minInputs || inputs > maxInputs) {
            throw new IllegalArgumentException(type + " takes " + range(minInputs, maxInputs) + " inputs, got " + inputs);
        }
        if (outputs < minOutputs || outputs > maxOutputs) {
            throw new IllegalArgumentException(type + " has " + range(minOutputs, maxOutputs) + " outputs, asked for "
                    + outputs);
        }
        for (AttributeProto attribute : attributeList) {
            if (!attributes.contains(attribute.getName())) {
                throw new IllegalArgumentException(type + " has no attribute '" + attribute.getName() + "'; it takes "
                        + (attributes.isEmpty() ? "none" : String.join(", ", attributes.stream().sorted().toList())));
            }
        }
    }

    private static String range(int min, int max) {
        return min == max ? Integer.toString(min) : max == Integer.MAX_VALUE ? min + " or more" : min + " to " + max;
    }
}
