import org.taylormlp.runtime.Engine;
import org.taylormlp.eval.Speed;
import org.taylormlp.model.ResidentWeights;
import org.taylormlp.model.WeightLoading;
import org.taylormlp.nn.Transformer;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Developer harness (not the user-facing bench command): decode speed of one model in this JVM, reported as
 * wall-clock tokens/s and as tokens per CPU-second of the whole process (the latter is what to compare on a
 * shared, oversubscribed machine: it does not count time the threads spent descheduled, though it does count
 * spinning).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/taylormlp.jar scripts/DecodeBench.java MODEL THREADS [N] [ROUNDS] [auto|mmap|copy] [BW_MIB]
 * </pre>
 * Decodes N tokens (default 128) greedily (token 1 first, then the argmax) from position 0, ROUNDS times
 * (default 5) after warm-up rounds (at least two, and at least 5 s), printing one line per round and the median.
 * The fifth argument places the weights as {@code --load} does (default auto).
 *
 * <p>With BW_MIB > 0, read bandwidth is measured on BW_MIB MiB of anonymous memory with the same threads
 * ({@link Speed.BandwidthProbe}, the probe of {@code bench}): each round decodes its N tokens in four slices, each
 * preceded by three passes over the buffer, and the round's decode rate is set against the bound from the median
 * of its twelve passes (median pass bandwidth ÷ weight bytes per token; the best pass is reported too). On this
 * machine the bandwidth moves with other tenants' traffic from second to second, so passes interleaved with the
 * decode compare like with like. The peak RSS is read before the probe buffer exists.
 */
public class DecodeBench {
    /** Slices of each decode round, and bandwidth passes before each slice. */
    static final int SEGMENTS = 4, PASSES = 3;
    /** Least warm-up time before the measured rounds. */
    static final long WARM_NANOS = 5_000_000_000L;

    /** A "Key: value kB" line of a /proc file of this process, in kB (-1: unknown). */
    static long procKb(String file, String key) {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self", file))) {
                if (line.startsWith(key + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (java.io.IOException ignored) {
        }
        return -1;
    }

    /** Peak resident set size of this process (file-backed mapped pages included). */
    static long vmHwmKb() {
        return procKb("status", "VmHWM");
    }

    /** Anonymous memory backed by transparent huge pages in this process. */
    static long anonHugeKb() {
        return procKb("smaps_rollup", "AnonHugePages");
    }

    record Round(long wallNs, long cpuNs, List<Double> passes) {}

    /**
     * Decodes n tokens greedily from position 0 in {@link #SEGMENTS} slices; with a probe, {@link #PASSES} bandwidth
     * passes before each slice, so that the decode and the passes it is set against see the same conditions.
     */
    static Round decodeRound(Transformer t, int n, Speed.BandwidthProbe probe, com.sun.management.OperatingSystemMXBean os) {
        int vocab = t.config().vocabSize();
        List<Double> passes = new ArrayList<>();
        long cpuNs = 0, wallNs = 0;
        int tok = 1;
        for (int seg = 0, p = 0; seg < SEGMENTS; seg++) {
            if (probe != null) for (int i = 0; i < PASSES; i++) passes.add(probe.pass());
            int until = (int) ((long) n * (seg + 1) / SEGMENTS);
            long c0 = os.getProcessCpuTime(), w0 = System.nanoTime();
            for (; p < until; p++) {
                float[] logits = t.forward(tok, p);
                int best = 0;
                for (int i = 1; i < vocab; i++) if (logits[i] > logits[best]) best = i;
                tok = best;
            }
            wallNs += System.nanoTime() - w0;
            cpuNs += os.getProcessCpuTime() - c0;
        }
        return new Round(wallNs, cpuNs, passes);
    }

    public static void main(String[] args) {
        Path model = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        WeightLoading loading = WeightLoading.parse(args.length > 4 ? args[4] : "auto");
        long bwBytes = (args.length > 5 ? Long.parseLong(args[5]) : 0) << 20;
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long l0 = System.nanoTime();
        try (Engine e = Engine.open(model, null, threads, n + 1, loading)) {
            Transformer t = e.transformer();
            long bpt = t.weightBytesPerToken();
            System.out.printf("LOAD %.0f ms (incl. warm-up), %s, weight bytes per token %d, VmHWM after load %d kB, AnonHugePages %d kB; weights: %s%n",
                    (System.nanoTime() - l0) / 1e6, e.kernels().describe(), bpt, vmHwmKb(), anonHugeKb(), ResidentWeights.placement(e.model()));
            double[] wall = new double[rounds], cpu = new double[rounds], ofBound = new double[rounds], ofBest = new double[rounds];
            long hwm = -1;
            // Warm-up: at least two rounds and WARM_NANOS (C2 compiles the forward pass on a background thread for
            // a few seconds; a probe pass that shares the cores with it reads about half the bandwidth).
            long warm0 = System.nanoTime();
            for (int w = 0; w < 2 || System.nanoTime() - warm0 < WARM_NANOS; w++) decodeRound(t, n, null, os);
            Speed.BandwidthProbe probe = null;
            if (bwBytes > 0) {
                hwm = vmHwmKb();
                probe = new Speed.BandwidthProbe(threads, bwBytes);
                for (int i = 0; i < 10; i++) probe.pass();
            }
            for (int r = 0; r < rounds; r++) {
                Round rd = decodeRound(t, n, probe, os);
                Speed.Bandwidth bw = probe == null ? new Speed.Bandwidth(Double.NaN, Double.NaN) : probe.of(rd.passes());
                long wallNs = rd.wallNs(), cpuNs = rd.cpuNs();
                wall[r] = n * 1e9 / wallNs;
                cpu[r] = n * 1e9 / Math.max(1, cpuNs);
                ofBound[r] = wall[r] / (bw.median() / bpt);
                ofBest[r] = wall[r] / (bw.best() / bpt);
                System.out.printf("round %d: %.1f tok/s wall, %.1f tok/CPU-s%s%n", r, wall[r], cpu[r], bwBytes <= 0 ? ""
                        : String.format(", bandwidth median %.1f (best %.1f) GB/s -> bound %.1f tok/s: %.0f %% of it (%.0f %% of the best)",
                        bw.median() / 1e9, bw.best() / 1e9, bw.median() / bpt, 100 * ofBound[r], 100 * ofBest[r]));
            }
            if (probe != null) probe.close();
            if (hwm < 0) hwm = vmHwmKb();
            Arrays.sort(wall);
            Arrays.sort(cpu);
            Arrays.sort(ofBound);
            Arrays.sort(ofBest);
            System.out.printf("RESULT %s t=%d n=%d median %.1f tok/s wall (max %.1f), %.1f tok/CPU-s (max %.1f); VmHWM %d kB%n",
                    model.getFileName(), threads, n, wall[rounds / 2], wall[rounds - 1], cpu[rounds / 2], cpu[rounds - 1], hwm);
            if (bwBytes > 0) {
                System.out.printf("BOUND median %.0f %% of the bound measured next to each round (min %.0f %%, max %.0f %%); "
                                + "against the best pass instead of the median: %.0f %%%n",
                        100 * ofBound[rounds / 2], 100 * ofBound[0], 100 * ofBound[rounds - 1], 100 * ofBest[rounds / 2]);
            }
        }
    }
}
