package dev.dualnet.trainer.train;

import ai.djl.MalformedModelException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dualnet.common.AtomicFiles;
import dev.dualnet.common.Json;
import dev.dualnet.common.UserException;
import dev.dualnet.trainer.model.DualNetModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A training checkpoint: one zip file holding {@value #STATE} (epoch, config, seeds, metrics),
 * {@value #PARAMETERS} (the network in DJL's parameter format) and {@value #OPTIMIZER} (Adam's
 * moments and step). Written atomically, so a killed run leaves the previous checkpoint intact.
 *
 * @param state where the run stands
 * @param parameters the encoded network parameters
 * @param optimizer the encoded optimizer state
 */
public record Checkpoint(CheckpointState state, byte[] parameters, byte[] optimizer) {
    /** File name of the checkpoint inside a run directory. */
    public static final String FILE_NAME = "checkpoint.zip";

    static final String STATE = "checkpoint.json";
    static final String PARAMETERS = "parameters.djl";
    static final String OPTIMIZER = "optimizer.bin";

    /**
     * Captures the model and optimizer as they are now.
     *
     * @throws IOException if encoding fails
     */
    public static Checkpoint capture(CheckpointState state, DualNetModel model, AdamOptimizer optimizer)
            throws IOException {
        return new Checkpoint(state, encode(model::saveParameters), encode(optimizer::save));
    }

    /**
     * Writes this checkpoint atomically to {@code file}.
     *
     * @throws IOException if writing fails; the previous file then stays as it was
     */
    public void write(Path file) throws IOException {
        byte[] json = Json.mapper().writeValueAsBytes(state);
        AtomicFiles.write(file, out -> {
            ZipOutputStream zip = new ZipOutputStream(out);
            putEntry(zip, STATE, json);
            putEntry(zip, PARAMETERS, parameters);
            putEntry(zip, OPTIMIZER, optimizer);
            zip.finish();
        });
    }

    /** Whether {@code runDir} already holds a run's checkpoint, which a fresh run there would replace. */
    public static boolean existsIn(Path runDir) {
        return Files.exists(runDir.resolve(FILE_NAME));
    }

    /**
     * The checkpoint file of a run directory, or the file itself.
     *
     * @throws UserException naming the path when there is no such file
     */
    public static Path locate(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve(FILE_NAME) : path;
        if (!Files.isRegularFile(file)) {
            throw new UserException(file + ": no checkpoint there; expected a run directory or its " + FILE_NAME);
        }
        return file;
    }

    /**
     * Reads a checkpoint file, or the checkpoint inside a run directory.
     *
     * @throws UserException naming the path when it is missing or not a dualnet checkpoint
     */
    public static Checkpoint read(Path path) {
        Path file = locate(path);
        Map<String, byte[]> entries = new HashMap<>();
        try (InputStream in = Files.newInputStream(file);
                ZipInputStream zip = new ZipInputStream(in)) {
            for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
                entries.put(entry.getName(), zip.readAllBytes());
            }
        } catch (NoSuchFileException e) {
            throw new UserException(file + ": no checkpoint there; expected a run directory or its " + FILE_NAME);
        } catch (IOException e) {
            throw new UserException(file + ": cannot read checkpoint: " + e.getMessage(), e);
        }
        for (String name : new String[] {STATE, PARAMETERS, OPTIMIZER}) {
            if (!entries.containsKey(name)) {
                throw new UserException(file + ": not a dualnet checkpoint (no " + name + " inside)");
            }
        }
        CheckpointState state;
        try {
            ObjectMapper mapper = Json.mapper();
            state = mapper.readValue(entries.get(STATE), CheckpointState.class);
        } catch (IOException e) {
            throw new UserException(file + ": unreadable " + STATE + ": " + e.getMessage(), e);
        }
        if (state.format() != CheckpointState.FORMAT) {
            throw new UserException(file + ": checkpoint format " + state.format() + ", expected " + CheckpointState.FORMAT);
        }
        return new Checkpoint(state, entries.get(PARAMETERS), entries.get(OPTIMIZER));
    }

    /**
     * Loads the saved parameters into a model of the same preset.
     *
     * @throws UserException if the parameters do not fit the model
     */
    public void restoreParameters(DualNetModel model) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(parameters))) {
            model.loadParameters(in);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            throw new UserException("checkpoint parameters do not fit preset '" + model.preset().id() + "': "
                    + e.getMessage(), e);
        }
    }

    /**
     * Loads the saved optimizer state.
     *
     * @throws UserException if the state is corrupt
     */
    public void restoreOptimizer(AdamOptimizer target, DualNetModel model) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(optimizer))) {
            target.load(in, model.manager());
        } catch (IOException e) {
            throw new UserException("checkpoint optimizer state is corrupt: " + e.getMessage(), e);
        }
    }

    /** Something that writes itself to a stream, such as the model's parameters or the optimizer. */
    interface Encoder {
        void write(DataOutputStream out) throws IOException;
    }

    /** What {@code encoder} writes, as bytes. */
    static byte[] encode(Encoder encoder) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            encoder.write(out);
        }
        return bytes.toByteArray();
    }

    private static void putEntry(ZipOutputStream zip, String name, byte[] data) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(data);
        zip.closeEntry();
    }
}
