package dev.dualnet.server.grpc;

import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.config.TensorSignature;
import dev.dualnet.server.grpc.proto.GRPCInferenceServiceGrpc;
import dev.dualnet.server.grpc.proto.GrpcService.ModelConfigRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelConfigResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ModelMetadataRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelMetadataResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ModelReadyRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelReadyResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ModelStatisticsRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelStatisticsResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ModelStreamInferResponse;
import dev.dualnet.server.grpc.proto.GrpcService.RepositoryIndexRequest;
import dev.dualnet.server.grpc.proto.GrpcService.RepositoryIndexResponse;
import dev.dualnet.server.grpc.proto.GrpcService.RepositoryModelLoadRequest;
import dev.dualnet.server.grpc.proto.GrpcService.RepositoryModelLoadResponse;
import dev.dualnet.server.grpc.proto.GrpcService.RepositoryModelUnloadRequest;
import dev.dualnet.server.grpc.proto.GrpcService.RepositoryModelUnloadResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ServerLiveRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ServerLiveResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ServerMetadataRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ServerMetadataResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ServerReadyRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ServerReadyResponse;
import dev.dualnet.server.models.ModelStore;
import dev.dualnet.server.models.RequestValidator;
import dev.dualnet.server.models.ServedModel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Open Inference Protocol's gRPC service (Triton's and KServe's GRPCInferenceService) over
 * the same models, checks, queues and batcher as the HTTP routes, with the same answers and
 * messages: a bad request is INVALID_ARGUMENT (HTTP 400), an unknown model or version NOT_FOUND
 * (404), a model that is not ready, a full queue or a draining server UNAVAILABLE (503), and only
 * a real fault INTERNAL (500), logged under an id the client is given.
 */
public final class GrpcInferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcInferenceService.class);
    /** As long as an HTTP infer request may take (Routes). */
    private static final long INFER_TIMEOUT_SECONDS = 30;
    /** What GET /v2 reports, so that both protocols describe the same server. */
    static final List<String> EXTENSIONS = List.of("binary_tensor_data");
    private static final String SERVER_NAME = "dualnet";
    private static final String PLATFORM = "onnxruntime_onnx";

    private final ModelStore store;
    private final String serverVersion;
    private final Executor responders;
    private final Set<InferStream> streams = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;

    /**
     * @param responders where responses are built once inference is done, so that the batcher's
     *     thread goes back to batching at once
     */
    public GrpcInferenceService(ModelStore store, String serverVersion, Executor responders) {
        this.store = store;
        this.serverVersion = serverVersion;
        this.responders = responders;
    }

    /**
     * Refuses new requests with UNAVAILABLE; each open stream answers what it has read, then ends
     * as UNAVAILABLE, so that a silent client cannot hold a stopping server.
     */
    void drain() {
        draining = true;
        streams.forEach(InferStream::drain);
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
        answer(out, () -> ServerLiveResponse.newBuilder().setLive(true).build());
    }

    /** Ready when every model is, as GET /v2/health/ready; false is an answer, not an error. */
    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
        answer(out, () -> ServerReadyResponse.newBuilder().setReady(!draining && store.allReady()).build());
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
        answer(out, () -> ServerMetadataResponse.newBuilder().setName(SERVER_NAME).setVersion(serverVersion)
                .addAllExtensions(EXTENSIONS).build());
    }

    /** A model that was refused at load is not ready (with OK); an unknown one is NOT_FOUND. */
    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
        answer(out, () -> ModelReadyResponse.newBuilder()
                .setReady(model(request.getName(), request.getVersion()).ready()).build());
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
        answer(out, () -> {
            ServedModel model = readyModel(request.getName(), request.getVersion());
            int maxBatch = model.signature().maxBatchSize();
            ModelMetadataResponse.Builder metadata = ModelMetadataResponse.newBuilder()
                    .setName(model.name())
                    .addVersions(Long.toString(model.version()))
                    .setPlatform(PLATFORM);
            for (TensorSignature input : model.signature().inputs()) {
                metadata.addInputs(tensorMetadata(input, maxBatch));
            }
            for (TensorSignature output : model.signature().outputs()) {
                metadata.addOutputs(tensorMetadata(output, maxBatch));
            }
            return metadata.build();
        });
    }

    private static ModelMetadataResponse.TensorMetadata tensorMetadata(TensorSignature tensor, int maxBatchSize) {
        ModelMetadataResponse.TensorMetadata.Builder metadata = ModelMetadataResponse.TensorMetadata.newBuilder()
                .setName(tensor.name())
                .setDatatype(tensor.type().protocolName());
        for (long dim : RequestValidator.protocolShape(tensor, maxBatchSize)) {
            metadata.addShape(dim);
        }
        return metadata.build();
    }

    @Override
    public void modelConfig(ModelConfigRequest request, StreamObserver<ModelConfigResponse> out) {
        answer(out, () -> ModelConfigResponse.newBuilder()
                .setConfig(ModelConfigs.of(readyModel(request.getName(), request.getVersion()))).build());
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
        ServerCallStreamObserver<ModelInferResponse> call = (ServerCallStreamObserver<ModelInferResponse>) out;
        // A client that gives up leaves its inference to finish; its answer is then dropped, not an error.
        call.setOnCancelHandler(() -> { });
        infer(request).whenComplete((response, failure) -> {
            if (call.isCancelled()) {
                return;
            }
            if (failure != null) {
                call.onError(status(failure).asRuntimeException());
            } else {
                call.onNext(response);
                call.onCompleted();
            }
        });
    }

    @Override
    public StreamObserver<ModelInferRequest> modelStreamInfer(StreamObserver<ModelStreamInferResponse> out) {
        InferStream[] self = new InferStream[1];
        InferStream stream = new InferStream((ServerCallStreamObserver<ModelStreamInferResponse>) out,
                request -> infer(request).handle((response, failure) -> failure == null
                        ? ModelStreamInferResponse.newBuilder().setInferResponse(response).build()
                        : ModelStreamInferResponse.newBuilder()
                                .setErrorMessage(String.valueOf(status(failure).getDescription())).build()),
                () -> streams.remove(self[0]));
        self[0] = stream;
        streams.add(stream);
        if (draining) {
            stream.drain();
        }
        return stream;
    }

    /**
     * Runs one request as POST /v2/models/{name}/infer does: the model must be ready and have room
     * in its queue (else UNAVAILABLE at once), then its tensors are checked and it runs, batched
     * with others when the model batches.
     *
     * @return completes with the response, or exceptionally with what went wrong
     */
    private CompletableFuture<ModelInferResponse> infer(ModelInferRequest request) {
        ServedModel model;
        try {
            refuseWhileDraining();
            model = readyModel(request.getModelName(), request.getModelVersion());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (!model.tryAdmit()) {
            return CompletableFuture.failedFuture(Status.UNAVAILABLE.withDescription("model '" + model.name()
                    + "' is busy: its queue holds " + model.maxQueueSize() + " requests; retry later")
                    .asRuntimeException());
        }
        CompletableFuture<Map<String, NamedTensor>> pending;
        InferMessages.Request decoded;
        boolean raw;
        try {
            decoded = InferMessages.decode(request);
            raw = decoded.raw(model.signature().outputs());
            pending = model.infer(decoded.inputs(), decoded.outputs());
        } catch (RuntimeException e) {
            model.release();
            return CompletableFuture.failedFuture(e);
        }
        return pending.whenComplete((outputs, failure) -> model.release())
                .orTimeout(INFER_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .thenApplyAsync(outputs -> InferMessages.response(model.name(), model.version(), decoded, outputs, raw),
                        responders);
    }

    // The statistics and repository RPCs wait for the model store to grow the matching features:
    // each answers UNIMPLEMENTED until it is wired here.

    @Override
    public void modelStatistics(ModelStatisticsRequest request, StreamObserver<ModelStatisticsResponse> out) {
        notYet("ModelStatistics", out);
    }

    @Override
    public void repositoryIndex(RepositoryIndexRequest request, StreamObserver<RepositoryIndexResponse> out) {
        notYet("RepositoryIndex", out);
    }

    @Override
    public void repositoryModelLoad(RepositoryModelLoadRequest request,
            StreamObserver<RepositoryModelLoadResponse> out) {
        notYet("RepositoryModelLoad", out);
    }

    @Override
    public void repositoryModelUnload(RepositoryModelUnloadRequest request,
            StreamObserver<RepositoryModelUnloadResponse> out) {
        notYet("RepositoryModelUnload", out);
    }

    private static void notYet(String rpc, StreamObserver<?> out) {
        out.onError(Status.UNIMPLEMENTED.withDescription(rpc + " is not yet served by dualnet; the models "
                + "are loaded once at startup and their counters are on GET /metrics").asRuntimeException());
    }

    private void refuseWhileDraining() {
        if (draining) {
            throw Status.UNAVAILABLE.withDescription("server is shutting down").asRuntimeException();
        }
    }

    /** Answers with what {@code response} gives, or with the status of what it threw. */
    private static <T> void answer(StreamObserver<T> out, Supplier<T> response) {
        T value;
        try {
            value = response.get();
        } catch (RuntimeException e) {
            out.onError(status(e).asRuntimeException());
            return;
        }
        out.onNext(value);
        out.onCompleted();
    }

    private ServedModel model(String name, String version) {
        if (name.isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription("no model name given; models: " + names())
                    .asRuntimeException();
        }
        ServedModel model = store.get(name).orElseThrow(() -> Status.NOT_FOUND
                .withDescription("unknown model '" + InferMessages.abbreviate(name) + "'; models: " + names())
                .asRuntimeException());
        if (!version.isEmpty() && !version.equals(Long.toString(model.version()))) {
            throw Status.NOT_FOUND.withDescription("model '" + name + "' has no version '"
                    + InferMessages.abbreviate(version) + "'; it serves version " + model.version()).asRuntimeException();
        }
        return model;
    }

    private ServedModel readyModel(String name, String version) {
        ServedModel model = model(name, version);
        if (!model.ready()) {
            throw Status.UNAVAILABLE.withDescription("model '" + model.name() + "' is not ready: " + model.reason())
                    .asRuntimeException();
        }
        return model;
    }

    private List<String> names() {
        return store.all().stream().map(ServedModel::name).toList();
    }

    /**
     * The gRPC status of a failure: the client's mistakes and refusals with their message, any
     * other exception as INTERNAL with an id that the log line carries too.
     */
    static Status status(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof StatusRuntimeException refusal) {
            return refusal.getStatus();
        }
        if (cause instanceof InvalidInputException invalid) {
            return Status.INVALID_ARGUMENT.withDescription(invalid.getMessage());
        }
        if (cause instanceof TimeoutException) {
            return Status.UNAVAILABLE.withDescription("inference did not finish in " + INFER_TIMEOUT_SECONDS + " s");
        }
        String requestId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        LOG.error("gRPC request {} failed", requestId, cause);
        return Status.INTERNAL.withDescription("internal server error (request id " + requestId + ")");
    }
}
