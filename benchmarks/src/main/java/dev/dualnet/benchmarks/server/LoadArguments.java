package dev.dualnet.benchmarks.server;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The arguments the load programs take: {@code PORT BODY COUNT SECONDS [WARMUP_SECONDS]},
 * where COUNT is the program's own number of connections and WARMUP_SECONDS defaults to 5.
 *
 * @param port the server's port on 127.0.0.1
 * @param bodyFile the infer request body (JSON for HTTP, a framed message for gRPC), an existing regular file
 * @param connections the COUNT argument
 * @param seconds how long to measure
 * @param warmupSeconds how long to load the server first without counting
 */
record LoadArguments(int port, Path bodyFile, int connections, int seconds, int warmupSeconds) {
    static final int DEFAULT_WARMUP_SECONDS = 5;
    static final int MAX_CONNECTIONS = 20_000;

    /**
     * One program's name (the prefix of its error lines), usage line, and the name and minimum of its
     * COUNT argument. A wrong argument is reported on stderr and ends the JVM with exit status 2.
     */
    record Program(String name, String usageLine, String countName, int countMin) {
        /** Prints "name: why" and the usage line to stderr and exits with status 2. */
        void usage(String why) {
            System.err.println(name + ": " + why);
            System.err.println(usageLine);
            System.exit(2);
        }

        int intArg(String text, String argName, int min, int max) {
            try {
                int value = Integer.parseInt(text);
                if (value >= min && value <= max) {
                    return value;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            usage(argName + " must be a whole number from " + min + " to " + max + ", not '" + text + "'");
            return 0;
        }
    }

    /** Parses {@code args} for {@code program}; exits with status 2 (see {@link Program#usage}) when they are wrong. */
    static LoadArguments parse(Program program, String[] args) {
        if (args.length < 4 || args.length > 5) {
            program.usage("expected 4 or 5 arguments");
        }
        int port = program.intArg(args[0], "PORT", 1, 65_535);
        Path bodyFile = Path.of(args[1]);
        if (!Files.isRegularFile(bodyFile)) {
            program.usage("no file " + bodyFile);
        }
        int connections = program.intArg(args[2], program.countName(), program.countMin(), MAX_CONNECTIONS);
        int seconds = program.intArg(args[3], "SECONDS", 1, 3_600);
        int warmup = args.length == 5 ? program.intArg(args[4], "WARMUP_SECONDS", 0, 600) : DEFAULT_WARMUP_SECONDS;
        return new LoadArguments(port, bodyFile, connections, seconds, warmup);
    }
}
