package dev.dualnet.server.testing;

import com.google.protobuf.ByteString;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.server.grpc.proto.GRPCInferenceServiceGrpc;
import dev.dualnet.server.grpc.proto.GrpcService.InferParameter;
import dev.dualnet.server.grpc.proto.GrpcService.InferTensorContents;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferRequest.InferInputTensor;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A grpc-java client of a test server's gRPC endpoint, with the request and response conversions
 * the tests share: typed and raw inputs from {@link NamedTensor}s, outputs back to raw bytes.
 */
public final class GrpcClient implements AutoCloseable {
    private final ManagedChannel channel;

    public GrpcClient(int port) {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
    }

    public GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub blocking() {
        return GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    public GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub future() {
        return GRPCInferenceServiceGrpc.newFutureStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    public GRPCInferenceServiceGrpc.GRPCInferenceServiceStub async() {
        return GRPCInferenceServiceGrpc.newStub(channel);
    }

    /** A request with each input's data in its typed contents field. */
    public static ModelInferRequest.Builder typed(String model, List<NamedTensor> inputs) {
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model);
        for (NamedTensor tensor : inputs) {
            request.addInputs(header(tensor).setContents(contents(tensor)));
        }
        return request;
    }

    /** A request with the inputs' data in raw_input_contents. */
    public static ModelInferRequest.Builder raw(String model, List<NamedTensor> inputs) {
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model);
        for (NamedTensor tensor : inputs) {
            request.addInputs(header(tensor));
            request.addRawInputContents(ByteString.copyFrom(tensor.type().toLittleEndian(tensor.data())));
        }
        return request;
    }

    /** Asks for every output in raw_output_contents. */
    public static ModelInferRequest.Builder rawOutputs(ModelInferRequest.Builder request) {
        return request.putParameters("binary_data_output", InferParameter.newBuilder().setBoolParam(true).build());
    }

    private static InferInputTensor.Builder header(NamedTensor tensor) {
        InferInputTensor.Builder input = InferInputTensor.newBuilder().setName(tensor.name())
                .setDatatype(tensor.type().protocolName());
        for (long dim : tensor.shape()) {
            input.addShape(dim);
        }
        return input;
    }

    private static InferTensorContents contents(NamedTensor tensor) {
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        switch (tensor.type()) {
            case FP32 -> {
                for (float v : (float[]) tensor.data()) {
                    contents.addFp32Contents(v);
                }
            }
            case FP64 -> {
                for (double v : (double[]) tensor.data()) {
                    contents.addFp64Contents(v);
                }
            }
            case INT64 -> {
                for (long v : (long[]) tensor.data()) {
                    contents.addInt64Contents(v);
                }
            }
            case INT32 -> {
                for (int v : (int[]) tensor.data()) {
                    contents.addIntContents(v);
                }
            }
            case BOOL -> {
                for (boolean v : (boolean[]) tensor.data()) {
                    contents.addBoolContents(v);
                }
            }
            default -> throw new IllegalArgumentException("no typed contents in these tests for " + tensor.type());
        }
        return contents.build();
    }

    /**
     * An output's data as little-endian bytes, whichever way the response carried it.
     *
     * @throws AssertionError when the response carries it neither way, or both
     */
    public static byte[] outputBytes(ModelInferResponse response, int index) {
        ModelInferResponse.InferOutputTensor output = response.getOutputs(index);
        ElementType type = ElementType.fromProtocolName(output.getDatatype());
        if (response.getRawOutputContentsCount() > 0) {
            if (output.hasContents()) {
                throw new AssertionError("output " + index + " has contents beside raw_output_contents");
            }
            return response.getRawOutputContents(index).toByteArray();
        }
        InferTensorContents contents = output.getContents();
        ByteBuffer out;
        switch (type) {
            case FP32 -> {
                out = ByteBuffer.allocate(contents.getFp32ContentsCount() * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                contents.getFp32ContentsList().forEach(out::putFloat);
            }
            case FP64 -> {
                out = ByteBuffer.allocate(contents.getFp64ContentsCount() * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                contents.getFp64ContentsList().forEach(out::putDouble);
            }
            case INT64 -> {
                out = ByteBuffer.allocate(contents.getInt64ContentsCount() * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                contents.getInt64ContentsList().forEach(out::putLong);
            }
            default -> throw new AssertionError("no typed contents in these tests for " + type);
        }
        return out.array();
    }

    /** An FP32 output as floats. */
    public static float[] floats(ModelInferResponse response, int index) {
        ByteBuffer bytes = ByteBuffer.wrap(outputBytes(response, index)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(out);
        return out;
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
