package org.taylormlp.eval;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.taylormlp.nn.Transformer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Timing helpers shared by {@code bench} and {@code eval}: prompt processing (prefill) and generation (decode)
 * timings in the manner of llama-bench (random tokens from a fixed seed, from an empty context), the process's
 * peak resident set size, and a memory-read bandwidth measurement.
 */
public final class Speed {
    private Speed() {}

    /** Mean, sample standard deviation and median of repeated measurements. */
    public record Stats(double mean, double sd, double median, double[] samples) {
        public static Stats of(double[] s) {
            int n = s.length;
            if (n == 0) return new Stats(Double.NaN, Double.NaN, Double.NaN, s);
            double m = 0;
            for (double v : s) m += v;
            m /= n;
            double var = 0;
            for (double v : s) var += (v - m) * (v - m);
            double sd = n > 1 ? Math.sqrt(var / (n - 1)) : 0;
            double[] c = s.clone();
            java.util.Arrays.sort(c);
            double med = n % 2 == 1 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
            return new Stats(m, sd, med, s.clone());
        }
    }

    public static int[] randomTokens(int n, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    /** Seconds to process {@code tokens} as one prompt from position 0 (batched prefill). */
    public static double prefillSeconds(Transformer t, int[] tokens) {
        long t0 = System.nanoTime();
        t.forward(tokens, 0, tokens.length, 0);
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Seconds to run {@code tokens} one at a time from position 0 (the decode loop, without sampling). */
    public static double decodeSeconds(Transformer t, int[] tokens) {
        long t0 = System.nanoTime();
        for (int i = 0; i < tokens.length; i++) t.forward(tokens[i], i);
        return (System.nanoTime() - t0) / 1e9;
    }

    /** {@link #decodeSeconds(Transformer, int[])}, storing each token's nanoseconds in {@code nanos[offset + i]}. */
    public static double decodeSeconds(Transformer t, int[] tokens, long[] nanos, int offset) {
        long t0 = System.nanoTime(), prev = t0;
        for (int i = 0; i < tokens.length; i++) {
            t.forward(tokens[i], i);
            long now = System.nanoTime();
            nanos[offset + i] = now - prev;
            prev = now;
        }
        return (prev - t0) / 1e9;
    }

    /** Per-token decode latency in milliseconds: median, 99th percentile (nearest rank) and maximum. */
    public record Latency(double p50Ms, double p99Ms, double maxMs) {
        public static Latency of(long[] nanos) {
            if (nanos.length == 0) return new Latency(Double.NaN, Double.NaN, Double.NaN);
            long[] c = nanos.clone();
            java.util.Arrays.sort(c);
            int n = c.length;
            double p50 = n % 2 == 1 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2.0;
            long p99 = c[Math.min(n - 1, (int) Math.ceil(0.99 * n) - 1)];
            return new Latency(p50 / 1e6, p99 / 1e6, c[n - 1] / 1e6);
        }
    }

    /** Peak resident set size of this process (VmHWM in /proc/self/status), or -1 where unavailable. */
    public static long peakRssBytes() {
        return procStatusBytes("VmHWM:");
    }

    static long procStatusBytes(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    String[] f = line.substring(key.length()).trim().split("\\s+");
                    long v = Long.parseLong(f[0]);
                    return f.length > 1 && f[1].equalsIgnoreCase("kB") ? v * 1024 : v;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * Resets the peak-RSS high-water mark of this process (writes 5 to /proc/self/clear_refs, Linux 4.0+), so that a
     * later {@link #peakRssBytes()} reflects only what came after. Returns false where that is not possible.
     */
    public static boolean resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Least total time of the timed passes of {@link #bandwidth}. */
    static final long BANDWIDTH_NANOS = 1_000_000_000L;

    /** Read bandwidth in bytes/s: the median and the best of the timed passes. */
    public record Bandwidth(double median, double best) {}

    /** The median of {@link #bandwidth}: what the bench's bound uses. */
    public static double readBandwidth(int threads, long bytes, int reps) {
        return bandwidth(threads, bytes, reps).median();
    }

    /**
     * Measures memory read bandwidth: {@code threads} threads each sum their own slice of {@code bytes / threads}
     * bytes of floats with vector loads ({@link #sum}: two sequential streams, four independent accumulators), in
     * timed passes after one warm-up pass, at least {@code reps} of them and at least {@link #BANDWIDTH_NANOS} in
     * all. The buffer is anonymous memory with huge pages advised, freed on return. Use a buffer well beyond the
     * last-level cache.
     *
     * <p>Why the median is the bound: on a shared host the bandwidth moves from pass to pass with other tenants'
     * traffic. A decode round's tokens/s is an average over such conditions, so it is compared with the typical
     * pass, not the luckiest one; the best is reported beside it (docs/PERFORMANCE.md).
     */
    public static Bandwidth bandwidth(int threads, long bytes, int reps) {
        try (BandwidthProbe probe = new BandwidthProbe(threads, bytes)) {
            List<Double> secs = new ArrayList<>();
            probe.pass(); // warm-up pass
            long start = System.nanoTime();
            while (secs.size() < Math.max(1, reps) || System.nanoTime() - start < BANDWIDTH_NANOS) secs.add(probe.pass());
            return probe.of(secs);
        }
    }

    /**
     * The buffer and threads of a read-bandwidth measurement ({@link #bandwidth}), kept for repeated passes, so
     * that a harness can interleave passes with the work it sets against them. Holds {@code bytes} of anonymous
     * memory (the kind that {@code --load copy} puts weights in) until closed.
     */
    public static final class BandwidthProbe implements AutoCloseable {
        private final ExecutorService pool;
        private final org.taylormlp.format.AnonymousMemory mem;
        private final List<Callable<Double>> jobs = new ArrayList<>();
        private final long total;
        private double sink;

        public BandwidthProbe(int threads, long bytes) {
            int k = Math.max(1, threads);
            long chunk = (long) S.length() * 4 * 4; // bytes per loop iteration (both streams)
            long perThread = Math.max(chunk, bytes / k / chunk * chunk);
            this.total = perThread * k;
            this.mem = org.taylormlp.format.AnonymousMemory.allocate(total);
            this.pool = Executors.newFixedThreadPool(k, r -> {
                Thread th = new Thread(r, "bandwidth");
                th.setDaemon(true);
                return th;
            });
            java.lang.foreign.MemorySegment[] slices = new java.lang.foreign.MemorySegment[k];
            for (int i = 0; i < k; i++) {
                slices[i] = mem.segment().asSlice(i * perThread, perThread);
                slices[i].fill((byte) (1 + i));
                java.lang.foreign.MemorySegment seg = slices[i];
                jobs.add(() -> sum(seg));
            }
            // JIT warm-up on a cache-sized piece: a few passes over the big buffer are too few calls for C2, and a
            // sum still running in the interpreter or C1 (boxed vectors) would understate the bandwidth.
            java.lang.foreign.MemorySegment small = slices[0].asSlice(0, Math.min(perThread, 64L << 10));
            for (int i = 0; i < 20_000; i++) sink += sum(small);
        }

        /** Bytes read per pass. */
        public long bytes() {
            return total;
        }

        /** One pass over the whole buffer, all threads; returns its wall-clock seconds. */
        public double pass() {
            long t0 = System.nanoTime();
            try {
                for (Future<Double> f : pool.invokeAll(jobs)) sink += f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.util.concurrent.CancellationException("interrupted");
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
            return (System.nanoTime() - t0) / 1e9;
        }

        /** Median and best bandwidth (bytes/s) of passes that took {@code seconds} each. */
        public Bandwidth of(List<Double> seconds) {
            List<Double> s = new ArrayList<>(seconds);
            java.util.Collections.sort(s);
            return new Bandwidth(total / s.get(s.size() / 2), total / s.get(0));
        }

        @Override
        public void close() {
            pool.shutdownNow();
            mem.close();
            if (sink == 42.4242) System.err.print(""); // keep the sums alive
        }
    }

    /**
     * Sums a slice as two sequential streams, its two halves side by side (as the two-row matrix-vector loops
     * read the weights). One stream per thread understates what a core can read (docs/PERFORMANCE.md, "The
     * bandwidth probe").
     */
    private static double sum(java.lang.foreign.MemorySegment a) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        long step = S.vectorByteSize();
        java.nio.ByteOrder bo = java.nio.ByteOrder.nativeOrder();
        long half = a.byteSize() / 2 / (2 * step) * (2 * step);
        for (long i = 0; i < half; i += 2 * step) {
            s0 = s0.add(FloatVector.fromMemorySegment(S, a, i, bo));
            s1 = s1.add(FloatVector.fromMemorySegment(S, a, i + step, bo));
            s2 = s2.add(FloatVector.fromMemorySegment(S, a, half + i, bo));
            s3 = s3.add(FloatVector.fromMemorySegment(S, a, half + i + step, bo));
        }
        return s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD);
    }

}
