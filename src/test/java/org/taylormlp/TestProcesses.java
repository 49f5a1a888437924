package org.taylormlp;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/**
 * Runs a subprocess for a test without the ways it can hang: stdout and stderr go to temporary files (a full pipe
 * cannot block the child, and no read waits on a child that never exits), the wait has a deadline, and a child past
 * its deadline is killed with its descendants and fails the test with everything it printed.
 */
public final class TestProcesses {
    private TestProcesses() {}

    /** Exit code and the two output streams of a finished process. */
    public record Result(int exitCode, String stdout, String stderr) {
        /** Both streams, for assertion messages. */
        public String output() {
            return "exit " + exitCode + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
        }
    }

    /**
     * Starts {@code pb} (its own stdout/stderr redirects are replaced), waits at most {@code timeout}, and returns
     * its result. A process still running at the deadline is destroyed forcibly (descendants first) and the test
     * fails with {@code what}, the timeout and the output so far.
     */
    public static Result run(ProcessBuilder pb, Duration timeout, String what) throws IOException, InterruptedException {
        Path out = Files.createTempFile("taylormlp-proc-", ".out"), err = Files.createTempFile("taylormlp-proc-", ".err");
        try {
            File o = out.toFile(), e = err.toFile();
            pb.redirectOutput(o).redirectError(e).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            Process p = pb.start();
            boolean done;
            try {
                done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException ie) {
                kill(p);
                throw ie;
            }
            if (!done) {
                kill(p);
                fail(what + " did not finish within " + timeout.toSeconds() + " s and was killed\n--- stdout ---\n"
                        + read(out) + "\n--- stderr ---\n" + read(err));
            }
            return new Result(p.exitValue(), read(out), read(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    private static String read(Path f) {
        try {
            return new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(could not read " + f + ": " + e.getMessage() + ")";
        }
    }
}
