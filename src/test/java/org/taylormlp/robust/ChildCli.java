package org.taylormlp.robust;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the taylormlp CLI in a fresh JVM (the same class path as the tests), as a user's shell would. */
final class ChildCli {
    private ChildCli() {}

    /** A finished run: exit code, output, wall time, peak resident memory (KiB, -1 if unknown). */
    record Run(int code, String stdout, String stderr, long millis, long peakRssKib) {
        String firstErrorLine() {
            for (String l : stderr.split("\n")) {
                if (l.isBlank() || l.startsWith("WARNING: Using incubator modules") || l.startsWith(CliProbe.PEAK)) continue;
                return l.strip();
            }
            return "";
        }
    }

    static List<String> command(Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss8m", "-Xmx1g",
                "-XX:+UseSerialGC", "-Dtaylormlp.warmupMillis=0",
                "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Starts {@code taylormlp args} (through {@link CliProbe}, which reports the peak RSS), output to files in {@code logs}. */
    static Process start(Path logs, String... args) throws IOException {
        Files.createDirectories(logs);
        return new ProcessBuilder(command(CliProbe.class, args)).redirectOutput(logs.resolve("stdout").toFile())
                .redirectError(logs.resolve("stderr").toFile()).start();
    }

    /** Runs {@code taylormlp args} to the end (at most {@code timeoutSeconds}). */
    static Run run(Path logs, long timeoutSeconds, String... args) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p = start(logs, args);
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("taylormlp " + String.join(" ", args) + " still running after " + timeoutSeconds + " s");
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String out = Files.readString(logs.resolve("stdout"), StandardCharsets.UTF_8);
        String err = Files.readString(logs.resolve("stderr"), StandardCharsets.UTF_8);
        long peak = -1;
        for (String l : err.split("\n")) if (l.startsWith(CliProbe.PEAK)) peak = Long.parseLong(l.substring(CliProbe.PEAK.length()).trim());
        return new Run(p.exitValue(), out, err, ms, peak);
    }
}
