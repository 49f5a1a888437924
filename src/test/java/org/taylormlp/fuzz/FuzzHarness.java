package org.taylormlp.fuzz;

import org.taylormlp.TaylorMlpException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The rules every fuzz target applies to one input. A finding is
 * <ul>
 *   <li>any throwable other than the project's typed errors ({@link TaylorMlpException} and its subclasses such as
 *       {@code ModelFormatException}; a target may accept one more type, e.g. the server's {@code ApiException});</li>
 *   <li>a hang: more than {@value #HANG_MILLIS} ms of CPU time for one input (CPU time, not wall time, so that a
 *       loaded machine does not make a slow input look like a hang), or still running after {@link #STUCK_MILLIS}
 *       ms of wall time;</li>
 *   <li>allocation beyond a bound tied to the input size: more than {@code fixed + perByte * input.length} bytes
 *       allocated on the fuzzing thread while the input is handled (a 100-byte file claiming 2^40 elements must
 *       fail before it allocates).</li>
 * </ul>
 * An input over the time or allocation bound is run a second time and judged on that run, so that class loading
 * and JIT warm-up in a fresh JVM do not count.
 * Every input is written under one scratch folder (per JVM), emptied before each input.
 */
public final class FuzzHarness {
    private FuzzHarness() {}

    public static final long HANG_MILLIS = 2000;

    /** What a target does with the scratch folder its input was written to. */
    public interface Body {
        void run(Path dir) throws Exception;
    }

    /** Allocation bound of a target: {@code fixed + perByte * input length} bytes. */
    public record Bound(long fixed, long perByte) {
        long of(int inputLength) { return fixed + perByte * inputLength; }
    }

    /** For readers of model-like files: 64 MiB plus 256 bytes per input byte (dequantising Q4_0 to floats is 7x). */
    public static final Bound READER = new Bound(64L << 20, 256);

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static Path scratch;

    /** The per-JVM scratch folder, emptied. */
    public static synchronized Path scratch() {
        try {
            if (scratch == null) {
                scratch = Files.createTempDirectory("taylormlp-fuzz");
                Path s = scratch;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(s)));
            } else {
                try (Stream<Path> st = Files.list(scratch)) {
                    for (Path p : st.toList()) deleteTree(p);
                }
            }
            return scratch;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs {@code body} on one input of {@code inputLength} bytes.
     *
     * @param alsoTyped one more exception type the target accepts as a typed error (null: none)
     */
    public static void check(String target, byte[] input, Bound bound, Class<? extends Throwable> alsoTyped, Body body) {
        Outcome first = once(input.length, body, alsoTyped);
        boolean again = first.finding == null && (first.millis > HANG_MILLIS || first.allocated > bound.of(input.length));
        Outcome o = again ? once(input.length, body, alsoTyped) : first; // class loading and JIT of a fresh JVM do not count
        if (o.finding != null) throw o.finding;
        if (o.millis > HANG_MILLIS) {
            throw new AssertionError(target + ": hang, " + o.millis + " ms of CPU time for one input of " + input.length + " bytes "
                    + "(twice: " + first.millis + " ms first)" + preview(input));
        }
        if (o.allocated > bound.of(input.length)) {
            throw new AssertionError(target + ": allocated " + o.allocated + " bytes for an input of " + input.length
                    + " bytes (bound " + bound.of(input.length) + ")" + preview(input));
        }
    }

    private record Outcome(long millis, long allocated, AssertionError finding) {}

    /** Inputs run on this thread, so that one that never returns is reported instead of stalling the campaign. */
    private static java.util.concurrent.ExecutorService worker = newWorker();

    private static java.util.concurrent.ExecutorService newWorker() {
        return java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz-input");
            t.setDaemon(true);
            return t;
        });
    }

    /** Abandons the worker (still busy with an input whose caller gave up) so that the next input starts at once. */
    private static synchronized void abandonWorker() {
        worker.shutdownNow();
        worker = newWorker();
    }

    /** An input still running after this long is a hang even if it would end some day. */
    static final long STUCK_MILLIS = 15 * HANG_MILLIS;

    private static Outcome once(int length, Body body, Class<? extends Throwable> alsoTyped) {
        Path dir = scratch();
        java.util.concurrent.Future<Outcome> f;
        synchronized (FuzzHarness.class) {
            f = worker.submit(() -> {
            long tid = Thread.currentThread().threadId();
            long a0 = THREADS.getThreadAllocatedBytes(tid);
            long t0 = THREADS.getThreadCpuTime(tid);
            AssertionError finding = null;
            try {
                body.run(dir);
            } catch (TaylorMlpException typed) {
                // the expected outcome for bad input
            } catch (Throwable t) {
                if (alsoTyped == null || !alsoTyped.isInstance(t)) {
                    finding = new AssertionError("untyped " + t.getClass().getName() + ": " + t.getMessage(), t);
                }
            }
            long millis = (THREADS.getThreadCpuTime(tid) - t0) / 1_000_000;
            return new Outcome(millis, THREADS.getThreadAllocatedBytes(tid) - a0, finding);
        });
        }
        try {
            return f.get(STUCK_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            f.cancel(true);
            abandonWorker();
            throw new AssertionError("hang: an input of " + length + " bytes still running after " + STUCK_MILLIS + " ms");
        } catch (InterruptedException e) {
            // the fuzzer stopped (end of the campaign) while an input ran: leave that input behind
            f.cancel(true);
            abandonWorker();
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError("harness failure", e.getCause());
        }
    }

    private static String preview(byte[] b) {
        return " (first bytes " + Arrays.toString(Arrays.copyOf(b, Math.min(b.length, 64))) + ")";
    }

    /**
     * Splits an input into two parts: a 4-byte little-endian length L, then L bytes (clamped to what remains), then
     * the rest. Seeds are written with {@link #join}.
     */
    public static byte[][] split(byte[] in) {
        if (in.length < 4) return new byte[][] {new byte[0], in};
        long len = ByteBuffer.wrap(in, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffff_ffffL;
        int a = (int) Math.min(len, in.length - 4);
        return new byte[][] {Arrays.copyOfRange(in, 4, 4 + a), Arrays.copyOfRange(in, 4 + a, in.length)};
    }

    public static byte[] join(byte[] a, byte[] b) {
        ByteBuffer bb = ByteBuffer.allocate(4 + a.length + b.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.putInt(a.length).put(a).put(b);
        return bb.array();
    }

    public static void deleteTree(Path p) {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
