import org.taylormlp.app.Engine;
import org.taylormlp.nn.Transformer;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;

/**
 * Developer harness (not the user-facing bench command): decode speed of one model in this JVM, reported as
 * wall-clock tokens/s and as tokens per CPU-second of the whole process (the latter is what to compare on a
 * shared, oversubscribed machine: it does not count time the threads spent descheduled, though it does count
 * spinning).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/taylormlp.jar scripts/DecodeBench.java MODEL THREADS [N] [ROUNDS] [auto|mmap|copy]
 * </pre>
 * Decodes N tokens (default 128) greedily (token 1 first, then the argmax) from position 0, ROUNDS times
 * (default 5) after two warm-up rounds, printing one line per round and the median. The last argument places
 * the weights as {@code --load} does (default auto).
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
        var loading = org.taylormlp.model.WeightLoading.parse(args.length > 4 ? args[4] : "auto");
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long l0 = System.nanoTime();
        try (Engine e = Engine.open(model, null, threads, n + 1, loading)) {
            Transformer t = e.transformer();
            System.out.printf("LOAD %.0f ms (incl. warm-up), %s, weight bytes per token %d, VmHWM after load %d kB; weights: %s%n",
                    (System.nanoTime() - l0) / 1e6, e.kernels().describe(), t.weightBytesPerToken(), vmHwmKb(),
                    org.taylormlp.model.ResidentWeights.placement(e.model()));
            int vocab = t.config().vocabSize();
            double[] wall = new double[rounds], cpu = new double[rounds];
            for (int r = -2; r < rounds; r++) {
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
                System.out.printf("round %d: %.1f tok/s wall, %.1f tok/CPU-s%n", r, wall[r], cpu[r]);
            }
            java.util.Arrays.sort(wall);
            java.util.Arrays.sort(cpu);
            System.out.printf("RESULT %s t=%d n=%d median %.1f tok/s wall (max %.1f), %.1f tok/CPU-s (max %.1f); VmHWM %d kB%n",
                    model.getFileName(), threads, n, wall[rounds / 2], wall[rounds - 1], cpu[rounds / 2], cpu[rounds - 1], vmHwmKb());
        }
    }
}
