import org.taylormlp.app.Engine;
import org.taylormlp.eval.Speed;
import org.taylormlp.model.ResidentWeights;
import org.taylormlp.model.WeightLoading;
import org.taylormlp.nn.Transformer;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;

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
 * (default 5) after two warm-up rounds, printing one line per round and the median. The fifth argument places
 * the weights as {@code --load} does (default auto).
 *
 * <p>With BW_MIB > 0, each round is preceded by a read-bandwidth measurement on BW_MIB MiB with the same threads
 * ({@link Speed#bandwidth}, at least 1 s of passes), and the round's decode rate is set against the bound from
 * that measurement (median pass bandwidth ÷ weight bytes per token; the best pass is reported too): on a machine whose bandwidth moves with other tenants'
 * traffic, a probe taken next to each round compares like with like. The peak RSS is read before the first probe
 * buffer exists.
 */
public class DecodeBench {
    /** Peak resident set size of this process (file-backed mapped pages included), from /proc/self/status. */
    static long vmHwmKb() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (java.io.IOException ignored) {
        }
        return -1;
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
            System.out.printf("LOAD %.0f ms (incl. warm-up), %s, weight bytes per token %d, VmHWM after load %d kB; weights: %s%n",
                    (System.nanoTime() - l0) / 1e6, e.kernels().describe(), bpt, vmHwmKb(), ResidentWeights.placement(e.model()));
            int vocab = t.config().vocabSize();
            double[] wall = new double[rounds], cpu = new double[rounds], ofBound = new double[rounds], ofBest = new double[rounds];
            long hwm = -1;
            for (int r = -2; r < rounds; r++) {
                Speed.Bandwidth bw = new Speed.Bandwidth(Double.NaN, Double.NaN);
                if (r >= 0 && bwBytes > 0) {
                    if (hwm < 0) hwm = vmHwmKb();
                    bw = Speed.bandwidth(threads, bwBytes, 3);
                }
                long c0 = os.getProcessCpuTime(), w0 = System.nanoTime();
                int tok = 1;
                for (int p = 0; p < n; p++) {
                    float[] logits = t.forward(tok, p);
                    int best = 0;
                    for (int i = 1; i < vocab; i++) if (logits[i] > logits[best]) best = i;
                    tok = best;
                }
                long w1 = System.nanoTime(), c1 = os.getProcessCpuTime();
                if (r < 0) continue;
                wall[r] = n * 1e9 / (w1 - w0);
                cpu[r] = n * 1e9 / Math.max(1, c1 - c0);
                ofBound[r] = wall[r] / (bw.median() / bpt);
                ofBest[r] = wall[r] / (bw.best() / bpt);
                System.out.printf("round %d: %.1f tok/s wall, %.1f tok/CPU-s%s%n", r, wall[r], cpu[r], bwBytes <= 0 ? ""
                        : String.format(", bandwidth median %.1f (best %.1f) GB/s -> bound %.1f tok/s: %.0f %% of it (%.0f %% of the best)",
                        bw.median() / 1e9, bw.best() / 1e9, bw.median() / bpt, 100 * ofBound[r], 100 * ofBest[r]));
            }
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
