package dev.dualnet.cli;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A {@code --classpath} value: jars separated as the platform separates class path entries. */
final class Jars {
    private Jars() {}

    static List<Path> parse(String classpath) {
        List<Path> jars = new ArrayList<>();
        if (classpath != null) {
            for (String part : classpath.split(File.pathSeparator)) {
                if (!part.isBlank()) {
                    jars.add(Path.of(part.strip()));
                }
            }
        }
        return jars;
    }
}
