package dev.dualnet.server.models;

import dev.dualnet.runtime.ModelRepository;
import dev.dualnet.runtime.RuntimeOptions;
import dev.dualnet.runtime.config.ModelConfigFile;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models of a repository directory and their serving versions. At startup it loads every model
 * (or, with explicit model control, those named); with model control on, models load, reload and
 * unload while the server runs: a new version is loaded, checked against its parity bundle and
 * warmed before it takes traffic, the versions it replaces stop taking requests and close once
 * their last request is answered, and a load that fails leaves the serving versions in place with
 * the reason in the index. One load or unload runs at a time.
 */
public final class ModelStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelStore.class);
    /** A model's name is a directory name of the repository: no separators, no dot names. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.\\-]{0,199}");

    /**
     * How models are opened, batched and queued.
     *
     * @param maxQueueSize requests a model holds at once unless its config says otherwise
     */
    public record Settings(RuntimeOptions runtime, boolean batching, int maxBatchSize, long batchDelayMicros,
            int maxQueueSize) {}

    /**
     * Who may change what serves.
     *
     * @param mode none, explicit or poll
     * @param startupModels with explicit control, the models to load at startup; empty for all
     * @param pollSeconds with poll, seconds between scans of the repository
     */
    public record Control(ModelControl mode, Set<String> startupModels, long pollSeconds) {
        public Control {
            Objects.requireNonNull(mode, "mode");
            startupModels = Set.copyOf(startupModels);
            if (mode == ModelControl.POLL && pollSeconds < 1) {
                throw new IllegalArgumentException("--repository-poll-secs must be at least 1, got " + pollSeconds);
            }
        }

        /** The models found at startup serve until the server stops. */
        public static Control none() {
            return new Control(ModelControl.NONE, Set.of(), 0);
        }
    }

    /** One row of the repository index. */
    public record IndexEntry(String name, String version, ServedModel.State state, String reason) {}

    private final Path repository;
    private final Control control;
    private final VersionLoader loader;
    private final Map<String, ServedModel> models = new ConcurrentSkipListMap<>();
    private final Object changes = new Object();
    private final ExecutorService closer = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "model-closer");
        thread.setDaemon(true);
        return thread;
    });
    private final List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** With poll control: what each model directory looked like when last loaded. */
    private final Map<String, Map<Long, VersionFingerprint>> seen = new LinkedHashMap<>();
    private ScheduledExecutorService poller;
    private volatile boolean closed;

    private ModelStore(Path repository, Settings settings, Control control, IntConsumer batchSizes) {
        this.repository = repository;
        this.control = control;
        this.loader = new VersionLoader(settings, batchSizes, closer);
    }

    /**
     * Opens the repository and loads its models (with explicit control and startup models named,
     * only those); with poll control, starts rescanning it.
     *
     * @param batchSizes told the rows of every batch run, for metrics
     * @throws IOException if the repository directory cannot be listed
     */
    public static ModelStore open(Path repository, Settings settings, Control control, IntConsumer batchSizes)
            throws IOException {
        if (!Files.exists(repository)) {
            throw new IOException(repository + ": model repository directory not found");
        }
        if (!Files.isDirectory(repository)) {
            throw new IOException(repository + ": not a directory; expected a model repository (NAME/VERSION/model.onnx)");
        }
        ModelStore store = new ModelStore(repository, settings, control, batchSizes);
        List<String> names = store.modelDirectories();
        for (String name : control.startupModels()) {
            if (!names.contains(name)) {
                throw new IOException("--load-model " + name + ": no such model in " + repository + "; it holds "
                        + names);
            }
        }
        for (String name : names) {
            if (control.mode() != ModelControl.EXPLICIT || control.startupModels().isEmpty()
                    || control.startupModels().contains(name)) {
                store.loadQuietly(name);
            } else {
                store.models.put(name, new ServedModel(name));
            }
        }
        if (control.mode() == ModelControl.POLL) {
            store.startPolling(control.pollSeconds());
        }
        return store;
    }

    /** Loads the models of {@link Settings} in a repository, fixed from then on. */
    public static ModelStore load(Path repository, Settings settings, IntConsumer batchSizes) throws IOException {
        return open(repository, settings, Control.none(), batchSizes);
    }

    /** Told after every change of what serves, for metrics. */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /** The directory of a model in the repository, whether it serves or not. */
    public Path entryDirectory(String name) {
        return repository.resolve(name);
    }

    public Optional<ServedModel> get(String name) {
        return Optional.ofNullable(models.get(name));
    }

    /** The models known: loaded, refused, unloaded or not yet loaded, by name. */
    public Collection<ServedModel> all() {
        return models.values();
    }

    /** The models meant to serve: all but those never loaded or unloaded on request. */
    public List<ServedModel> active() {
        return models.values().stream().filter(m -> m.ready() || !isIdle(m)).toList();
    }

    private static boolean isIdle(ServedModel model) {
        return "not loaded".equals(model.reason()) || "unloaded".equals(model.reason());
    }

    /** Whether every model meant to serve serves (and there is at least one). */
    public boolean allReady() {
        List<ServedModel> active = active();
        return !active.isEmpty() && active.stream().allMatch(ServedModel::ready);
    }

    public ModelControl control() {
        return control.mode();
    }

    /**
     * Triton's repository index: every model directory, one row per serving version, or one row
     * with no version for a model that serves none.
     *
     * @param readyOnly only the versions that serve
     */
    public List<IndexEntry> index(boolean readyOnly) {
        List<IndexEntry> index = new ArrayList<>();
        List<String> names;
        try {
            names = modelDirectories();
        } catch (IOException e) {
            names = List.of();
        }
        Set<String> all = new TreeSet<>(names);
        all.addAll(models.keySet());
        for (String name : all) {
            ServedModel model = models.get(name);
            if (model == null) {
                if (!readyOnly) {
                    index.add(new IndexEntry(name, "", ServedModel.State.UNAVAILABLE, "not loaded"));
                }
                continue;
            }
            List<ServedVersion> versions = model.versions();
            if (versions.isEmpty()) {
                if (!readyOnly) {
                    index.add(new IndexEntry(name, "", model.state(), model.reason()));
                }
                continue;
            }
            ServedModel.State state = model.state();
            String reason = model.reason() == null ? "" : model.reason();
            for (ServedVersion version : versions) {
                index.add(new IndexEntry(name, Long.toString(version.version()), state, reason));
            }
        }
        return index;
    }

    /**
     * Loads a model, or reloads it: the versions its config's version policy names are loaded (a
     * version whose files and config did not change keeps serving as it is), and replace the serving
     * ones at once.
     *
     * @throws ModelControlException when model control is off, there is no such model, or it did
     *     not load (its serving versions then stay)
     */
    public void load(String name) {
        requireControl("load");
        requireKnown(name);
        synchronized (changes) {
            String failure = loadLocked(name);
            if (failure != null) {
                throw new ModelControlException(ModelControlException.Reason.FAILED,
                        "failed to load '" + name + "': " + failure);
            }
        }
    }

    /**
     * Stops serving a model: its versions take no new requests and close once those admitted are
     * answered.
     *
     * @throws ModelControlException when model control is off or there is no such model
     */
    public void unload(String name) {
        requireControl("unload");
        synchronized (changes) {
            ServedModel model = models.get(name);
            if (model == null) {
                throw new ModelControlException(ModelControlException.Reason.UNKNOWN, "unknown model '" + name
                        + "'; the repository holds " + knownNames());
            }
            unloadLocked(model);
        }
    }

    /**
     * Rescans the repository now, as the poller does: loads what changed, unloads what is gone. A
     * model unloaded by request stays unloaded until its files change or it is loaded again.
     */
    public void poll() {
        synchronized (changes) {
            if (closed) {
                return;
            }
            List<String> names;
            try {
                names = modelDirectories();
            } catch (IOException e) {
                LOG.warn("cannot scan the model repository {}: {}", repository, e.getMessage());
                return;
            }
            for (String name : names) {
                Map<Long, VersionFingerprint> now = fingerprints(name);
                if (!now.equals(seen.get(name))) {
                    LOG.info("model '{}' changed in the repository; loading it", name);
                    String failure = loadLocked(name);
                    if (failure != null) {
                        LOG.error("model '{}': the changed repository entry did not load: {}", name, failure);
                    }
                }
            }
            for (ServedModel model : List.copyOf(models.values())) {
                if (!names.contains(model.name())) {
                    if (model.ready()) {
                        LOG.info("model '{}' is gone from the repository; unloading it", model.name());
                        unloadLocked(model);
                    }
                    // Gone from disk, it is gone from the index too; its retired versions still drain.
                    models.remove(model.name());
                    seen.remove(model.name());
                    changed();
                }
            }
        }
    }

    private void requireControl(String action) {
        if (control.mode() == ModelControl.NONE) {
            throw new ModelControlException(ModelControlException.Reason.DISABLED, "cannot " + action + " models:"
                    + " model control is off; start the server with --model-control explicit or poll");
        }
    }

    private void requireKnown(String name) {
        if (!NAME.matcher(name).matches() || !Files.isDirectory(repository.resolve(name))) {
            throw new ModelControlException(ModelControlException.Reason.UNKNOWN, "no model '" + name
                    + "' in the repository; it holds " + knownNames());
        }
    }

    private List<String> knownNames() {
        try {
            return modelDirectories();
        } catch (IOException e) {
            return List.copyOf(models.keySet());
        }
    }

    private void loadQuietly(String name) {
        synchronized (changes) {
            loadLocked(name);
        }
    }

    /** @return null when the model loaded, else why not (fit for clients) */
    private String loadLocked(String name) {
        ServedModel model = models.computeIfAbsent(name, ServedModel::new);
        Path entryDir = repository.resolve(name);
        seen.put(name, fingerprints(name));
        model.transition(ServedModel.State.LOADING);
        List<ServedVersion> loaded = new ArrayList<>();
        try {
            Optional<ModelConfig> config = VersionLoader.readConfig(entryDir);
            config.ifPresent(c -> {
                List<String> unhonoured = ConfigFields.unhonoured(c);
                if (!unhonoured.isEmpty()) {
                    LOG.warn("model '{}': {} sets fields this server does not honour: {}", name,
                            ModelConfigFile.FILE_NAME, String.join(", ", unhonoured));
                }
            });
            List<Long> onDisk = ModelRepository.versions(entryDir);
            List<Long> wanted = ConfigFields.versionsToServe(config.orElse(ModelConfig.getDefaultInstance()), onDisk);
            if (wanted.isEmpty()) {
                throw new VersionLoader.LoadFailure(onDisk.isEmpty()
                        ? "no version directory holds a " + ModelRepository.MODEL_FILE
                        : "its version_policy names none of the versions on disk " + onDisk,
                        entryDir + ": nothing to serve (versions on disk: " + onDisk + ")");
            }
            NavigableMap<Long, ServedVersion> next = new TreeMap<>();
            Map<Long, ServedVersion> serving = new LinkedHashMap<>();
            model.versions().forEach(v -> serving.put(v.version(), v));
            for (long version : wanted) {
                ServedVersion current = serving.get(version);
                if (current != null && current.fingerprint().equals(VersionFingerprint.of(entryDir, version))) {
                    next.put(version, current);
                } else {
                    ServedVersion fresh = loader.load(name, entryDir, version, config);
                    loaded.add(fresh);
                    next.put(version, fresh);
                }
            }
            List<ServedVersion> gone = model.replace(next, null);
            gone.forEach(ServedVersion::retire);
            if (!gone.isEmpty()) {
                LOG.info("model '{}': version(s) {} stop taking requests and close once answered", name,
                        gone.stream().map(ServedVersion::version).toList());
            }
            changed();
            return null;
        } catch (VersionLoader.LoadFailure e) {
            loaded.forEach(ServedVersion::closeNow);
            LOG.error("model '{}' refused: {}", name, e.getMessage());
            model.failed(e.publicReason());
            changed();
            return e.publicReason();
        } finally {
            model.transition(null);
        }
    }

    private void unloadLocked(ServedModel model) {
        model.transition(ServedModel.State.UNLOADING);
        try {
            List<ServedVersion> gone = model.replace(new TreeMap<>(), "unloaded");
            gone.forEach(ServedVersion::retire);
            // The poller leaves an unloaded model alone until its files change.
            seen.put(model.name(), fingerprints(model.name()));
            LOG.info("model '{}' unloaded: its versions close once their requests are answered", model.name());
            changed();
        } finally {
            model.transition(null);
        }
    }

    private Map<Long, VersionFingerprint> fingerprints(String name) {
        Path entryDir = repository.resolve(name);
        Map<Long, VersionFingerprint> prints = new TreeMap<>();
        for (long version : ModelRepository.versions(entryDir)) {
            prints.put(version, VersionFingerprint.of(entryDir, version));
        }
        return prints;
    }

    /** The repository's subdirectories that hold at least one version with a model file. */
    private List<String> modelDirectories() throws IOException {
        try (Stream<Path> children = Files.list(repository)) {
            return children.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(name -> NAME.matcher(name).matches())
                    .filter(name -> !ModelRepository.versions(repository.resolve(name)).isEmpty())
                    .sorted().toList();
        }
    }

    private void startPolling(long seconds) {
        poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "repository-poller");
            thread.setDaemon(true);
            return thread;
        });
        poller.scheduleWithFixedDelay(() -> {
            try {
                poll();
            } catch (RuntimeException e) {
                LOG.error("repository poll failed", e);
            }
        }, seconds, seconds, TimeUnit.SECONDS);
        LOG.info("polling {} for changes every {} s", repository, seconds);
    }

    private void changed() {
        listeners.forEach(Runnable::run);
    }

    @Override
    public void close() {
        closed = true;
        if (poller != null) {
            poller.shutdownNow();
        }
        synchronized (changes) {
            for (ServedModel model : models.values()) {
                model.replace(new TreeMap<>(), "the server stopped").forEach(ServedVersion::closeNow);
            }
        }
        closer.shutdown();
        try {
            closer.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
