package dev.dualnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build's serving boundary fires: a module that opts in to it (as common, runtime, parity and
 * server do) fails to build once a DJL artifact enters its dependencies, and builds without one.
 */
class ServingBoundaryTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void aServingModuleWithADjlDependencyFailsTheBuildWithTheEnforcersMessage() throws Exception {
        Result light = validate(module("light", ""));
        assertThat(light.exitCode()).as(light.output()).isZero();

        Result direct = validate(module("direct", dependency("ai.djl", "api", "${djl.version}")));
        assertThat(direct.exitCode()).as(direct.output()).isNotZero();
        assertThat(direct.output()).contains("serving-stays-light", "ai.djl:api",
                "run without DJL or libtorch");

        // A library outside the boundary that uses DJL: a serving module that depends on it fails too.
        Path transitive = dir.resolve("transitive");
        module(transitive.resolve("library"), "library", false, dependency("ai.djl", "api", "${djl.version}"));
        module(transitive.resolve("serving"), "serving", true,
                dependency("dev.dualnet", "boundary-check-library", "${project.version}"));
        Files.writeString(transitive.resolve("pom.xml"), """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>dev.dualnet</groupId>
                  <artifactId>boundary-check</artifactId>
                  <version>0.1.0-SNAPSHOT</version>
                  <packaging>pom</packaging>
                  <modules><module>library</module><module>serving</module></modules>
                </project>
                """);
        Result through = validate(transitive.resolve("pom.xml"));
        assertThat(through.exitCode()).as(through.output()).isNotZero();
        assertThat(through.output()).contains("boundary-check-serving", "ai.djl:api", "banned");
    }

    private Path module(String name, String dependencies) throws IOException {
        return module(dir.resolve(name), name, true, dependencies);
    }

    /**
     * A module whose parent is dualnet's root pom, found by a relative path as Maven requires (the
     * parent is in no repository on a fresh machine), inside the serving boundary or not.
     */
    private static Path module(Path moduleDir, String name, boolean serving, String dependencies) throws IOException {
        Path pom = moduleDir.resolve("pom.xml");
        Files.createDirectories(pom.getParent());
        Files.writeString(pom, """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <parent>
                    <groupId>dev.dualnet</groupId>
                    <artifactId>dualnet-parent</artifactId>
                    <version>0.1.0-SNAPSHOT</version>
                    <relativePath>%s</relativePath>
                  </parent>
                  <artifactId>boundary-check-%s</artifactId>
                  <properties>
                    <serving.stays.light.skip>%s</serving.stays.light.skip>
                  </properties>
                  <dependencies>
                    <dependency>
                      <groupId>com.fasterxml.jackson.core</groupId>
                      <artifactId>jackson-databind</artifactId>
                    </dependency>
                    %s
                  </dependencies>
                </project>
                """.formatted(moduleDir.toAbsolutePath().relativize(ROOT.resolve("pom.xml")), name, !serving,
                        dependencies));
        return pom;
    }

    private static String dependency(String group, String artifact, String version) {
        return "<dependency><groupId>" + group + "</groupId><artifactId>" + artifact + "</artifactId><version>"
                + version + "</version></dependency>";
    }

    private record Result(int exitCode, String output) {}

    private static Result validate(Path pom) throws IOException, InterruptedException {
        Path log = pom.resolveSibling("build.log");
        Process maven = new ProcessBuilder(ROOT.resolve("mvnw").toString(), "-B", "-ntp", "-f", pom.toString(),
                "validate")
                .directory(ROOT.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        if (!maven.waitFor(240, TimeUnit.SECONDS)) {
            maven.destroyForcibly();
            throw new AssertionError("Maven did not finish validating " + pom + " in 240 s");
        }
        return new Result(maven.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }
}
