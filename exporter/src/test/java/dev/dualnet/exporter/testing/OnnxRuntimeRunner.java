package dev.dualnet.exporter.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs an exported model in ONNX Runtime on DJL arrays and hands the results back as DJL arrays. */
public final class OnnxRuntimeRunner implements AutoCloseable {
    private final OrtEnvironment environment = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    public OnnxRuntimeRunner(Path model) throws OrtException {
        this(model, true);
    }

    /** A session with or without ONNX Runtime's graph optimizations (which some graphs trip, see ExportCheck). */
    public OnnxRuntimeRunner(Path model, boolean optimize) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(2);
        if (!optimize || Boolean.getBoolean("dualnet.test.ort.noopt")) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
        }
        session = environment.createSession(model.toString(), options);
    }

    public List<String> inputNames() {
        return new ArrayList<>(session.getInputNames());
    }

    /** Runs the model with these inputs (in the model's input order) and returns its outputs in order. */
    public NDList run(NDList inputs, NDManager manager) throws OrtException {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        List<String> names = inputNames();
        try {
            for (int i = 0; i < inputs.size(); i++) {
                NDArray array = inputs.get(i);
                ByteBuffer data = ByteBuffer.allocateDirect(Math.toIntExact(array.size() * array.getDataType()
                        .getNumOfBytes())).order(ByteOrder.nativeOrder());
                data.put(array.toByteBuffer());
                data.rewind();
                feeds.put(names.get(i), OnnxTensor.createTensor(environment, data, array.getShape().getShape(),
                        javaType(array.getDataType())));
            }
            try (OrtSession.Result result = session.run(feeds)) {
                NDList outputs = new NDList();
                for (Map.Entry<String, OnnxValue> output : result) {
                    OnnxTensor tensor = (OnnxTensor) output.getValue();
                    DataType type = djlType(tensor.getInfo().type);
                    outputs.add(manager.create(tensor.getByteBuffer(), new Shape(tensor.getInfo().getShape()), type));
                }
                return outputs;
            }
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    private static OnnxJavaType javaType(DataType type) {
        return switch (type) {
            case FLOAT32 -> OnnxJavaType.FLOAT;
            case FLOAT64 -> OnnxJavaType.DOUBLE;
            case FLOAT16 -> OnnxJavaType.FLOAT16;
            case INT64 -> OnnxJavaType.INT64;
            case INT32 -> OnnxJavaType.INT32;
            case INT8 -> OnnxJavaType.INT8;
            case UINT8 -> OnnxJavaType.UINT8;
            case BOOLEAN -> OnnxJavaType.BOOL;
            default -> throw new IllegalArgumentException("no ONNX Runtime type for " + type);
        };
    }

    private static DataType djlType(OnnxJavaType type) {
        return switch (type) {
            case FLOAT -> DataType.FLOAT32;
            case DOUBLE -> DataType.FLOAT64;
            case FLOAT16 -> DataType.FLOAT16;
            case INT64 -> DataType.INT64;
            case INT32 -> DataType.INT32;
            case INT8 -> DataType.INT8;
            case UINT8 -> DataType.UINT8;
            case BOOL -> DataType.BOOLEAN;
            default -> throw new IllegalArgumentException("no DJL type for " + type);
        };
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
