package dev.dualnet.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dualnet.common.DualNetInterface;
import dev.dualnet.runtime.DigitPictures;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.ModelRepository;
import dev.dualnet.runtime.NamedTensor;
import dev.dualnet.runtime.Prediction;
import dev.dualnet.runtime.config.TensorSignature;
import dev.dualnet.server.metrics.ServerMetrics;
import dev.dualnet.server.models.InferenceStatistics;
import dev.dualnet.server.models.ModelStore;
import dev.dualnet.server.models.RequestValidator;
import dev.dualnet.server.models.ServedModel;
import dev.dualnet.server.models.ServedVersion;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The HTTP handlers: Open Inference Protocol v2 with Triton's model configuration, statistics and
 * model repository extensions, /predict, the model card, and metrics.
 */
public final class Routes {
    private static final long INFER_TIMEOUT_SECONDS = 30;
    /** Pictures one {@code POST /predict} may hold. */
    public static final int MAX_PREDICT_ITEMS = 1024;

    private final ModelStore store;
    private final ServerMetrics metrics;
    private final ObjectMapper json;
    private final String serverVersion;
    private final Responders responders;

    public Routes(ModelStore store, ServerMetrics metrics, ObjectMapper json, String serverVersion,
            Responders responders) {
        this.store = store;
        this.metrics = metrics;
        this.json = json;
        this.serverVersion = serverVersion;
        this.responders = responders;
    }

    public void live(Context ctx) {
        ctx.json(Map.of("live", true));
    }

    public void ready(Context ctx) {
        boolean ready = store.allReady();
        ctx.status(ready ? 200 : 503).json(Map.of("ready", ready));
    }

    /** The protocol extensions this server implements, as {@code GET /v2} lists them. */
    public static final List<String> EXTENSIONS = List.of("binary_tensor_data", "model_configuration", "statistics",
            "model_repository");

    public void serverMetadata(Context ctx) {
        ctx.json(Map.of("name", "dualnet", "version", serverVersion, "extensions", EXTENSIONS));
    }

    public void modelMetadata(Context ctx) {
        ServedModel model = model(ctx);
        ServedVersion version = model.version(versionParam(ctx));
        ObjectNode body = json.createObjectNode();
        body.put("name", model.name());
        ArrayNode versions = body.putArray("versions");
        model.versions().forEach(v -> versions.add(Long.toString(v.version())));
        body.put("platform", "onnxruntime_onnx");
        int maxBatch = version.signature().maxBatchSize();
        body.set("inputs", specs(version.signature().inputs(), maxBatch));
        body.set("outputs", specs(version.signature().outputs(), maxBatch));
        ctx.json(body);
    }

    public void modelReady(Context ctx) {
        ServedModel model = model(ctx);
        if (!model.ready()) {
            throw ApiException.badRequest("model '" + model.name() + "' is not ready: " + model.reason());
        }
        Long version = versionParam(ctx);
        if (version != null && model.versions().stream().noneMatch(v -> v.version() == version)) {
            throw ApiException.badRequest("model '" + model.name() + "' version " + version + " is not ready; it serves "
                    + model.versions().stream().map(v -> Long.toString(v.version())).toList());
        }
        ctx.json(Map.of("name", model.name(), "ready", true));
    }

    /** {@code GET /v2/models/{name}[/versions/{version}]/config}: the configuration as served, as Triton's JSON. */
    public void modelConfig(Context ctx) {
        ServedVersion version = model(ctx).version(versionParam(ctx));
        ctx.json(ProtoJson.of(json, version.config()));
    }

    /** {@code GET /v2/models[/{name}[/versions/{version}]]/stats}: Triton's statistics of each serving version. */
    public void modelStatistics(Context ctx) {
        List<ServedVersion> versions = new ArrayList<>();
        if (ctx.pathParamMap().containsKey("name")) {
            ServedModel model = model(ctx);
            Long version = versionParam(ctx);
            if (version != null) {
                versions.add(model.version(version));
            } else {
                versions.addAll(model.versions());
            }
        } else {
            store.all().forEach(model -> versions.addAll(model.versions()));
        }
        ObjectNode body = json.createObjectNode();
        ArrayNode stats = body.putArray("model_stats");
        for (ServedVersion version : versions) {
            stats.add(statistics(version));
        }
        ctx.json(body);
    }

    private ObjectNode statistics(ServedVersion version) {
        InferenceStatistics.Snapshot stats = version.statistics().snapshot();
        ObjectNode node = json.createObjectNode();
        node.put("name", version.name());
        node.put("version", Long.toString(version.version()));
        node.put("last_inference", stats.lastInferenceMillis());
        node.put("inference_count", stats.inferenceCount());
        node.put("execution_count", stats.executionCount());
        ObjectNode inference = node.putObject("inference_stats");
        duration(inference, "success", stats.success());
        duration(inference, "fail", stats.fail());
        duration(inference, "queue", stats.queue());
        duration(inference, "compute_input", stats.computeInput());
        duration(inference, "compute_infer", stats.computeInfer());
        duration(inference, "compute_output", stats.computeOutput());
        duration(inference, "cache_hit", new InferenceStatistics.Duration(0, 0));
        duration(inference, "cache_miss", new InferenceStatistics.Duration(0, 0));
        ArrayNode batches = node.putArray("batch_stats");
        for (InferenceStatistics.BatchStatistics batch : stats.batches()) {
            ObjectNode entry = batches.addObject();
            entry.put("batch_size", batch.batchSize());
            duration(entry, "compute_input", batch.computeInput());
            duration(entry, "compute_infer", batch.computeInfer());
            duration(entry, "compute_output", batch.computeOutput());
        }
        return node;
    }

    private static void duration(ObjectNode parent, String field, InferenceStatistics.Duration duration) {
        parent.putObject(field).put("count", duration.count()).put("ns", duration.ns());
    }

    /** {@code POST /v2/repository/index}: every model of the repository with its state; {"ready": true} for serving ones. */
    public void repositoryIndex(Context ctx) {
        boolean readyOnly = false;
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length > 0) {
            JsonNode body = body(ctx);
            if (!body.isObject()) {
                throw ApiException.badRequest("body must be an object such as {\"ready\": true}, or empty");
            }
            JsonNode ready = body.get("ready");
            if (ready != null && !ready.isBoolean()) {
                throw ApiException.badRequest("\"ready\" is " + ready + ", expected true or false");
            }
            readyOnly = ready != null && ready.asBoolean();
        }
        ArrayNode index = json.createArrayNode();
        for (ModelStore.IndexEntry entry : store.index(readyOnly)) {
            ObjectNode row = index.addObject();
            row.put("name", entry.name());
            if (!entry.version().isEmpty()) {
                row.put("version", entry.version());
            }
            row.put("state", entry.state().name());
            if (entry.reason() != null && !entry.reason().isEmpty()) {
                row.put("reason", entry.reason());
            }
        }
        ctx.json(index);
    }

    /** {@code POST /v2/repository/models/{name}/load}: loads or reloads the model from the repository. */
    public void repositoryLoad(Context ctx) {
        requireNoLoadParameters(ctx, "load");
        store.load(ctx.pathParam("name"));
        ctx.json(Map.of());
    }

    /** {@code POST /v2/repository/models/{name}/unload}: stops serving the model once its requests are answered. */
    public void repositoryUnload(Context ctx) {
        requireNoLoadParameters(ctx, "unload");
        store.unload(ctx.pathParam("name"));
        ctx.json(Map.of());
    }

    /** Triton's load may carry a config or files to load instead of the repository's; this server loads from disk only. */
    private void requireNoLoadParameters(Context ctx, String action) {
        if (ctx.bodyAsBytes().length == 0) {
            return;
        }
        JsonNode body = body(ctx);
        if (!body.isObject()) {
            throw ApiException.badRequest("body must be an object or empty");
        }
        JsonNode parameters = body.path("parameters");
        if (!parameters.isMissingNode() && !parameters.isObject()) {
            throw ApiException.badRequest("\"parameters\" must be an object");
        }
        List<String> unsupported = new ArrayList<>();
        parameters.fieldNames().forEachRemaining(name -> {
            if (!name.equals("unload_dependents")) {
                unsupported.add(name);
            }
        });
        if (!unsupported.isEmpty()) {
            throw ApiException.badRequest(action + " parameters " + unsupported + " are not supported: this server "
                    + action + "s models from the repository directory as they are on disk");
        }
    }

    public void infer(Context ctx) {
        ServedModel model = model(ctx);
        requireMediaType(ctx, true);
        whileAdmitted(model.admit(versionParam(ctx)), admission -> infer(ctx, admission));
    }

    private void infer(Context ctx, ServedVersion.Admission admission) {
        ServedVersion model = admission.version();
        InferenceJson.Request request = InferenceJson.parseRequest(json, ctx.bodyAsBytes(),
                ctx.header(BinaryTensors.HEADER_LENGTH));
        CompletableFuture<Map<String, NamedTensor>> pending = model.infer(request.inputs(), request.outputs());
        respondWhenDone(ctx, pending.whenComplete((outputs, failure) -> admission.close()), outputs -> {
            InferenceJson.Body body = InferenceJson.response(json, model.name(), model.version(), request, outputs);
            if (body.hasBinary()) {
                ctx.header(BinaryTensors.HEADER_LENGTH, Integer.toString(body.jsonLength()))
                        .contentType("application/octet-stream");
            } else {
                ctx.contentType("application/json");
            }
            ctx.result(body.bytes());
        });
    }

    /**
     * {@code POST /predict}: {"image": [784 numbers in 0..1] or a base64 PNG/JPEG, "number": 0..9},
     * or a list of up to {@value #MAX_PREDICT_ITEMS} such objects; the dualnet model is picked by
     * {@code ?model=}, else "dualnet", else the first dualnet model.
     */
    public void predict(Context ctx) {
        ServedModel served = dualnetModel(ctx.queryParam("model"));
        requireMediaType(ctx, false);
        whileAdmitted(served.admit(null), admission -> predict(ctx, admission));
    }

    private void predict(Context ctx, ServedVersion.Admission admission) {
        ServedVersion model = admission.version();
        JsonNode body = body(ctx);
        boolean single = body.isObject();
        List<JsonNode> items = new ArrayList<>();
        if (single) {
            items.add(body);
        } else if (body.isArray() && !body.isEmpty()) {
            body.forEach(items::add);
        } else {
            throw ApiException.badRequest("body must be {\"image\": ..., \"number\": 0..9} or a non-empty list of them");
        }
        int n = items.size();
        if (n > MAX_PREDICT_ITEMS) {
            // Each item becomes 784 floats: a few bytes of "{}" per item would otherwise ask for gigabytes.
            throw ApiException.badRequest("the list has " + n + " items, expected at most " + MAX_PREDICT_ITEMS
                    + " per request");
        }
        float[] images = new float[n * DualNetInterface.PIXELS];
        long[] numbers = new long[n];
        for (int i = 0; i < n; i++) {
            String where = single ? "" : "item " + i + ": ";
            JsonNode item = items.get(i);
            if (!item.isObject()) {
                throw ApiException.badRequest(where + "expected an object {\"image\": ..., \"number\": 0..9}");
            }
            System.arraycopy(image(item.get("image"), where), 0, images, i * DualNetInterface.PIXELS,
                    DualNetInterface.PIXELS);
            JsonNode number = item.get("number");
            if (number == null || !number.canConvertToExactIntegral() || !number.canConvertToLong() || number.asLong() < 0
                    || number.asLong() > 9) {
                throw ApiException.badRequest(where + "\"number\" is " + number + ", expected an integer 0..9");
            }
            numbers[i] = number.asLong();
        }
        // A list longer than the model's max_batch_size runs as several requests of at most that many.
        int chunk = model.signature().maxBatchSize() > 0 ? model.signature().maxBatchSize() : n;
        List<CompletableFuture<Map<String, NamedTensor>>> parts = new ArrayList<>();
        for (int from = 0; from < n; from += chunk) {
            int rows = Math.min(chunk, n - from);
            parts.add(model.infer(List.of(
                    new NamedTensor(DualNetInterface.IMAGE, ElementType.FP32, new long[] {rows, 1, 28, 28},
                            java.util.Arrays.copyOfRange(images, from * DualNetInterface.PIXELS,
                                    (from + rows) * DualNetInterface.PIXELS)),
                    new NamedTensor(DualNetInterface.NUMBER, ElementType.INT64, new long[] {rows},
                            java.util.Arrays.copyOfRange(numbers, from, from + rows))), Set.of()));
        }
        CompletableFuture<List<Map<String, NamedTensor>>> all = CompletableFuture
                .allOf(parts.toArray(CompletableFuture[]::new))
                .thenApply(done -> parts.stream().map(CompletableFuture::join).toList());
        respondWhenDone(ctx, all.whenComplete((outputs, failure) -> admission.close()),
                outputs -> ctx.json(predictions(model.name(), outputs, n, single)));
    }

    private ObjectNode predictions(String modelName, List<Map<String, NamedTensor>> parts, int n, boolean single) {
        float[] digits = concat(parts, DualNetInterface.DIGIT, n * DualNetInterface.DIGITS);
        float[] sums = concat(parts, DualNetInterface.SUM, n * DualNetInterface.SUMS);
        ArrayNode predictions = json.createArrayNode();
        for (int i = 0; i < n; i++) {
            ObjectNode p = predictions.addObject();
            float[] digit = java.util.Arrays.copyOfRange(digits, i * 10, (i + 1) * 10);
            float[] sum = java.util.Arrays.copyOfRange(sums, i * 19, (i + 1) * 19);
            p.put("digit", Prediction.argMax(digit, 0, digit.length));
            p.put("sum", Prediction.argMax(sum, 0, sum.length));
            p.set("digit_probabilities", json.valueToTree(digit));
            p.set("sum_probabilities", json.valueToTree(sum));
        }
        if (single) {
            ObjectNode result = (ObjectNode) predictions.get(0);
            result.put("model", modelName);
            return result;
        }
        ObjectNode result = json.createObjectNode();
        result.put("model", modelName);
        result.set("predictions", predictions);
        return result;
    }

    private static float[] concat(List<Map<String, NamedTensor>> parts, String output, int length) {
        if (parts.size() == 1) {
            return (float[]) parts.get(0).get(output).data();
        }
        float[] all = new float[length];
        int at = 0;
        for (Map<String, NamedTensor> part : parts) {
            float[] values = (float[]) part.get(output).data();
            System.arraycopy(values, 0, all, at, values.length);
            at += values.length;
        }
        return all;
    }

    /** {@code GET /models/{name}/card}: the model card written at export, when there is one. */
    public void modelCard(Context ctx) throws IOException {
        ServedModel model = model(ctx);
        Path card = store.entryDirectory(model.name()).resolve(ModelRepository.CARD_FILE);
        if (!Files.isRegularFile(card)) {
            throw ApiException.notFound("model '" + model.name() + "' has no " + ModelRepository.CARD_FILE);
        }
        ctx.contentType("application/json").result(Files.readAllBytes(card));
    }

    /** {@code GET /models}: every model with its status, for the page. */
    public void models(Context ctx) {
        ArrayNode list = json.createArrayNode();
        for (ServedModel model : store.all()) {
            ObjectNode entry = list.addObject();
            entry.put("name", model.name());
            entry.put("ready", model.ready());
            if (model.ready()) {
                ServedVersion latest = model.version(null);
                entry.put("version", latest.version());
                entry.put("dualnet", latest.isDualnet());
                entry.put("execution_provider", latest.executionProvider().name());
                entry.put("parity", latest.parity());
            } else {
                entry.put("dualnet", false);
                entry.put("reason", model.reason());
            }
        }
        ctx.json(list);
    }

    public void metrics(Context ctx) {
        ctx.contentType(ServerMetrics.contentType()).result(metrics.scrape());
    }

    private float[] image(JsonNode image, String where) {
        if (image == null) {
            throw ApiException.badRequest(where + "missing \"image\": expected 784 numbers in [0, 1] or a base64 PNG/JPEG");
        }
        if (image.isTextual()) {
            String text = image.asText();
            int comma = text.startsWith("data:") ? text.indexOf(',') : -1;
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(text.substring(comma + 1).strip());
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(where + "\"image\" is not valid base64: " + e.getMessage());
            }
            return DigitPictures.fromImageBytes(bytes);
        }
        if (!image.isArray()) {
            throw ApiException.badRequest(where + "\"image\" must be 784 numbers in [0, 1] or a base64 PNG/JPEG string");
        }
        List<JsonNode> values = new ArrayList<>(DualNetInterface.PIXELS);
        for (JsonNode v : image) {
            if (v.isArray()) {
                v.forEach(values::add);
            } else {
                values.add(v);
            }
            if (values.size() > DualNetInterface.PIXELS) {
                break;
            }
        }
        if (values.size() != DualNetInterface.PIXELS) {
            throw ApiException.badRequest(where + "\"image\" has " + (values.size() > 784 ? "more than 784" : values.size())
                    + " values, expected 784 (28 x 28)");
        }
        float[] pixels = new float[DualNetInterface.PIXELS];
        for (int p = 0; p < pixels.length; p++) {
            JsonNode v = values.get(p);
            if (!v.isNumber()) {
                throw ApiException.badRequest(where + "\"image\" value " + p + " is " + v + ", expected a number in [0, 1]");
            }
            pixels[p] = (float) v.asDouble();
        }
        return pixels;
    }

    private JsonNode body(Context ctx) {
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length == 0) {
            throw ApiException.badRequest("empty body: expected JSON");
        }
        try {
            JsonNode node = json.readTree(bytes);
            if (node == null || node.isMissingNode()) {
                throw ApiException.badRequest("empty body: expected JSON");
            }
            return node;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw MalformedJson.of(e);
        } catch (IOException e) {
            throw ApiException.badRequest("unreadable body: expected JSON");
        }
    }

    /**
     * Infer endpoints take JSON, or binary tensor data after a JSON header; anything else is
     * refused, so that a page on another site cannot post to them without a CORS preflight. The
     * binary extension's header itself needs a preflight, so with it any Content-Type is taken
     * (clients built on libcurl send its form default).
     */
    private static void requireMediaType(Context ctx, boolean binaryAllowed) {
        String type = ctx.header("Content-Type");
        String media = type == null ? "" : type.split(";", 2)[0].strip().toLowerCase(java.util.Locale.ROOT);
        boolean accepted = media.equals("application/json")
                || (binaryAllowed && (media.equals("application/octet-stream")
                        || ctx.header(BinaryTensors.HEADER_LENGTH) != null));
        if (!accepted) {
            throw new ApiException(415, (type == null ? "no Content-Type" : "Content-Type '" + abbreviate(type) + "'")
                    + " is not accepted here; send application/json" + (binaryAllowed
                            ? ", or binary tensor data with " + BinaryTensors.HEADER_LENGTH : ""));
        }
    }

    private static String abbreviate(String text) {
        return text.length() > 80 ? text.substring(0, 80) + "..." : text;
    }

    /**
     * Runs {@code submit} under an admission (a place in the version's queue, taken before the body
     * is parsed). {@code submit} closes it once its inference completes; a failure before that
     * closes it here.
     */
    private static void whileAdmitted(ServedVersion.Admission admission, java.util.function.Consumer<ServedVersion.Admission> submit) {
        try {
            submit.accept(admission);
        } catch (RuntimeException e) {
            admission.failed();
            throw e;
        }
    }

    private ServedModel model(Context ctx) {
        String name = ctx.pathParam("name");
        return store.get(name).orElseThrow(() -> ApiException.notFound("unknown model '" + name
                + "'; models: " + store.all().stream().map(ServedModel::name).toList()));
    }

    /** The version a path names; null when it names none. */
    private static Long versionParam(Context ctx) {
        String version = ctx.pathParamMap().get("version");
        if (version == null) {
            return null;
        }
        if (!version.matches("[1-9][0-9]{0,17}")) {
            throw ApiException.notFound("no version '" + abbreviate(version) + "': versions are positive integers");
        }
        return Long.parseLong(version);
    }

    private ServedModel dualnetModel(String name) {
        if (name != null) {
            ServedModel model = store.get(name).orElseThrow(() -> ApiException.notFound("unknown model '" + name + "'"));
            if (!model.version(null).isDualnet()) {
                throw ApiException.badRequest("model '" + name + "' does not have the dualnet inputs and outputs; "
                        + "use /v2/models/" + name + "/infer");
            }
            return model;
        }
        return store.get("dualnet").filter(Routes::servesDualnet)
                .or(() -> store.all().stream().filter(Routes::servesDualnet).findFirst())
                .orElseThrow(() -> new ApiException(503, "no ready dualnet model to predict with"));
    }

    private static boolean servesDualnet(ServedModel model) {
        List<ServedVersion> versions = model.versions();
        return !versions.isEmpty() && versions.get(versions.size() - 1).isDualnet();
    }

    /**
     * Sets the response once {@code pending} completes, without holding the HTTP worker meanwhile.
     * Failures reach the server's exception mapping.
     */
    private <T> void respondWhenDone(Context ctx, CompletableFuture<T> pending, Responder<T> responder) {
        ctx.future(() -> pending.orTimeout(INFER_TIMEOUT_SECONDS, TimeUnit.SECONDS).handleAsync((value, failure) -> {
            try {
                if (failure != null) {
                    throw unwrap(failure);
                }
                responder.respond(value);
                return null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, responders.executor()));
    }

    private static RuntimeException unwrap(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof TimeoutException) {
            return new ApiException(503, "inference did not finish in " + INFER_TIMEOUT_SECONDS + " s");
        }
        return cause instanceof RuntimeException runtime ? runtime : new IllegalStateException(cause);
    }

    /** Writes a response from a finished result. */
    @FunctionalInterface
    private interface Responder<T> {
        void respond(T value) throws IOException;
    }

    private ArrayNode specs(List<TensorSignature> tensors, int maxBatchSize) {
        ArrayNode list = json.createArrayNode();
        for (TensorSignature tensor : tensors) {
            ObjectNode node = list.addObject();
            node.put("name", tensor.name());
            node.put("datatype", tensor.type().protocolName());
            ArrayNode shape = node.putArray("shape");
            for (long dim : RequestValidator.protocolShape(tensor, maxBatchSize)) {
                shape.add(dim);
            }
        }
        return list;
    }

}
