package dev.dualnet.server.grpc;

import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.config.TensorSignature;
import dev.dualnet.server.grpc.proto.GRPCInferenceServiceGrpc;
import dev.dualnet.server.grpc.proto.GrpcService.InferBatchStatistics;
import dev.dualnet.server.grpc.proto.GrpcService.InferStatistics;
import dev.dualnet.server.grpc.proto.GrpcService.ModelConfigRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelConfigResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ModelMetadataRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelMetadataResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ModelReadyRequest;
import dev.dualnet.server.grpc.proto.GrpcService.ModelReadyResponse;
import dev.dualnet.server.grpc.proto.GrpcService.ModelRepositoryParameter;
import dev.dualnet.server.grpc.proto.GrpcService.ModelStatistics;
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
import dev.dualnet.server.grpc.proto.GrpcService.StatisticDuration;
import dev.dualnet.server.http.Routes;
import dev.dualnet.server.models.InferenceStatistics;
import dev.dualnet.server.models.ModelControlException;
import dev.dualnet.server.models.ModelStore;
import dev.dualnet.server.models.RequestValidator;
import dev.dualnet.server.models.ModelUnavailableException;
import dev.dualnet.server.models.ServedModel;
import dev.dualnet.server.models.ServedVersion;
import dev.dualnet.server.models.UnknownModelException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
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
    private static final String SERVER_NAME = "dualnet";
    private static final String PLATFORM = "onnxruntime_onnx";

    private final ModelStore store;
    private final String serverVersion;
    private final Executor responders;
    private final Set<InferStream> streams = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;

    /**
     * @param responders where responses are built once inference is done, so that the batcher's
     *     thread goes back to batching at once, and where models load and unload, which takes
     *     seconds that the transport's threads must not wait
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
                .addAllExtensions(Routes.EXTENSIONS).build());
    }

    /**
     * A model, or a named version, that serves no version is not ready (with OK); an unknown model
     * is NOT_FOUND.
     */
    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
        answer(out, () -> {
            ServedModel model = model(request.getName());
            Long version = version(request.getVersion());
            boolean ready = model.ready() && (version == null
                    || model.versions().stream().anyMatch(served -> served.version() == version));
            return ModelReadyResponse.newBuilder().setReady(ready).build();
        });
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
        answer(out, () -> {
            ServedModel model = model(request.getName());
            ServedVersion version = model.version(version(request.getVersion()));
            int maxBatch = version.signature().maxBatchSize();
            ModelMetadataResponse.Builder metadata = ModelMetadataResponse.newBuilder()
                    .setName(model.name())
                    .setPlatform(PLATFORM);
            model.versions().forEach(served -> metadata.addVersions(Long.toString(served.version())));
            for (TensorSignature input : version.signature().inputs()) {
                metadata.addInputs(tensorMetadata(input, maxBatch));
            }
            for (TensorSignature output : version.signature().outputs()) {
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
                .setConfig(model(request.getName()).version(version(request.getVersion())).config()).build());
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
        ServedVersion.Admission admission;
        try {
            refuseWhileDraining();
            admission = model(request.getModelName()).admit(version(request.getModelVersion()));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        ServedVersion model = admission.version();
        CompletableFuture<Map<String, NamedTensor>> pending;
        InferMessages.Request decoded;
        boolean raw;
        try {
            decoded = InferMessages.decode(request);
            raw = decoded.raw(model.signature().outputs());
            pending = model.infer(decoded.inputs(), decoded.outputs());
        } catch (RuntimeException e) {
            admission.failed();
            return CompletableFuture.failedFuture(e);
        }
        return pending.whenComplete((outputs, failure) -> admission.close())
                .orTimeout(INFER_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .thenApplyAsync(outputs -> InferMessages.response(model.name(), model.version(), decoded, outputs, raw),
                        responders);
    }

    /** Triton's statistics of each serving version: of every model, of one model, or of one version. */
    @Override
    public void modelStatistics(ModelStatisticsRequest request, StreamObserver<ModelStatisticsResponse> out) {
        answer(out, () -> {
            List<ServedVersion> versions = new ArrayList<>();
            if (request.getName().isEmpty()) {
                if (!request.getVersion().isEmpty()) {
                    throw Status.INVALID_ARGUMENT.withDescription("a version was given without a model name")
                            .asRuntimeException();
                }
                store.all().forEach(model -> versions.addAll(model.versions()));
            } else {
                ServedModel model = model(request.getName());
                Long version = version(request.getVersion());
                if (version == null) {
                    versions.addAll(model.versions());
                } else {
                    versions.add(model.version(version));
                }
            }
            ModelStatisticsResponse.Builder response = ModelStatisticsResponse.newBuilder();
            versions.forEach(version -> response.addModelStats(statistics(version)));
            return response.build();
        });
    }

    private static ModelStatistics statistics(ServedVersion version) {
        InferenceStatistics.Snapshot stats = version.statistics().snapshot();
        ModelStatistics.Builder model = ModelStatistics.newBuilder()
                .setName(version.name())
                .setVersion(Long.toString(version.version()))
                .setLastInference(stats.lastInferenceMillis())
                .setInferenceCount(stats.inferenceCount())
                .setExecutionCount(stats.executionCount())
                .setInferenceStats(InferStatistics.newBuilder()
                        .setSuccess(duration(stats.success()))
                        .setFail(duration(stats.fail()))
                        .setQueue(duration(stats.queue()))
                        .setComputeInput(duration(stats.computeInput()))
                        .setComputeInfer(duration(stats.computeInfer()))
                        .setComputeOutput(duration(stats.computeOutput()))
                        .setCacheHit(StatisticDuration.getDefaultInstance())
                        .setCacheMiss(StatisticDuration.getDefaultInstance()));
        for (InferenceStatistics.BatchStatistics batch : stats.batches()) {
            model.addBatchStats(InferBatchStatistics.newBuilder()
                    .setBatchSize(batch.batchSize())
                    .setComputeInput(duration(batch.computeInput()))
                    .setComputeInfer(duration(batch.computeInfer()))
                    .setComputeOutput(duration(batch.computeOutput())));
        }
        return model.build();
    }

    private static StatisticDuration duration(InferenceStatistics.Duration duration) {
        return StatisticDuration.newBuilder().setCount(duration.count()).setNs(duration.ns()).build();
    }

    /** Every model of the repository with its state, one row per serving version; only serving ones when {@code ready}. */
    @Override
    public void repositoryIndex(RepositoryIndexRequest request, StreamObserver<RepositoryIndexResponse> out) {
        answer(out, () -> {
            requireOneRepository(request.getRepositoryName());
            RepositoryIndexResponse.Builder index = RepositoryIndexResponse.newBuilder();
            for (ModelStore.IndexEntry entry : store.index(request.getReady())) {
                index.addModelsBuilder()
                        .setName(entry.name())
                        .setVersion(entry.version())
                        .setState(entry.state().name())
                        .setReason(entry.reason() == null ? "" : entry.reason());
            }
            return index.build();
        });
    }

    /** Loads or reloads a model from the repository directory; the versions it replaces drain first. */
    @Override
    public void repositoryModelLoad(RepositoryModelLoadRequest request,
            StreamObserver<RepositoryModelLoadResponse> out) {
        answerOn(responders, out, () -> {
            requireOneRepository(request.getRepositoryName());
            requireNoLoadParameters(request.getParametersMap(), "load");
            store.load(requiredName(request.getModelName()));
            return RepositoryModelLoadResponse.getDefaultInstance();
        });
    }

    /** Stops serving a model once the requests it admitted are answered. */
    @Override
    public void repositoryModelUnload(RepositoryModelUnloadRequest request,
            StreamObserver<RepositoryModelUnloadResponse> out) {
        answerOn(responders, out, () -> {
            requireOneRepository(request.getRepositoryName());
            requireNoLoadParameters(request.getParametersMap(), "unload");
            store.unload(requiredName(request.getModelName()));
            return RepositoryModelUnloadResponse.getDefaultInstance();
        });
    }

    /** The server serves one repository; Triton's clients send an empty name for it. */
    private static void requireOneRepository(String repository) {
        if (!repository.isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription("repository_name '" + InferMessages.abbreviate(repository)
                    + "' given: this server serves one repository, so leave it empty").asRuntimeException();
        }
    }

    /** Triton's load may carry a config or files to load instead of the repository's; this server loads from disk only. */
    private static void requireNoLoadParameters(Map<String, ModelRepositoryParameter> parameters, String action) {
        List<String> unsupported = parameters.keySet().stream()
                .filter(name -> !name.equals("unload_dependents")).sorted().toList();
        if (!unsupported.isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription(action + " parameters " + unsupported + " are not supported: "
                    + "this server " + action + "s models from the repository directory as they are on disk")
                    .asRuntimeException();
        }
    }

    private static String requiredName(String name) {
        if (name.isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription("no model_name given").asRuntimeException();
        }
        return name;
    }

    private void refuseWhileDraining() {
        if (draining) {
            throw Status.UNAVAILABLE.withDescription("server is shutting down").asRuntimeException();
        }
    }

    /** {@link #answer}, run by {@code executor}; a full or stopped executor answers UNAVAILABLE. */
    private static <T> void answerOn(Executor executor, StreamObserver<T> out, Supplier<T> response) {
        try {
            executor.execute(() -> answer(out, response));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            out.onError(Status.UNAVAILABLE.withDescription("server is shutting down").asRuntimeException());
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

    private ServedModel model(String name) {
        if (name.isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription("no model name given; models: " + names())
                    .asRuntimeException();
        }
        return store.get(name).orElseThrow(() -> Status.NOT_FOUND
                .withDescription("unknown model '" + InferMessages.abbreviate(name) + "'; models: " + names())
                .asRuntimeException());
    }

    /** The version a request names, or null for the highest serving one when it names none. */
    private static Long version(String version) {
        if (version.isEmpty()) {
            return null;
        }
        if (!version.matches("[1-9][0-9]{0,17}")) {
            throw Status.NOT_FOUND.withDescription("no version '" + InferMessages.abbreviate(version)
                    + "': versions are positive integers").asRuntimeException();
        }
        return Long.parseLong(version);
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
        if (cause instanceof ModelUnavailableException unavailable) {
            return Status.UNAVAILABLE.withDescription(unavailable.getMessage());
        }
        if (cause instanceof UnknownModelException unknown) {
            return Status.NOT_FOUND.withDescription(unknown.getMessage());
        }
        if (cause instanceof ModelControlException refused) {
            return switch (refused.reason()) {
                case DISABLED -> Status.FAILED_PRECONDITION.withDescription(refused.getMessage());
                case UNKNOWN -> Status.NOT_FOUND.withDescription(refused.getMessage());
                case FAILED -> Status.INVALID_ARGUMENT.withDescription(refused.getMessage());
            };
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
