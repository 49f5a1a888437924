import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Memory read bandwidth as the decode loop sees it: a Vector API sum over a float array much larger than the
 * caches, on 1..T threads (each thread sums its own slice). Prints "BW threads=T best=X median=Y GB/s" per
 * thread count, over R repetitions (wall clock), and the bytes read per CPU-second of the summing threads
 * (what a shared, oversubscribed machine still lets one compare).
 *
 * <pre>java --add-modules jdk.incubator.vector -Xmx2g scripts/Bandwidth.java [MiB=1024] [T=2] [R=7]</pre>
 */
public class Bandwidth {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    static float sum(float[] a, int from, int to) {
        int L = F.length();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = from;
        for (; i + 4 * L <= to; i += 4 * L) {
            a0 = a0.add(FloatVector.fromArray(F, a, i));
            a1 = a1.add(FloatVector.fromArray(F, a, i + L));
            a2 = a2.add(FloatVector.fromArray(F, a, i + 2 * L));
            a3 = a3.add(FloatVector.fromArray(F, a, i + 3 * L));
        }
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        for (; i < to; i++) s += a[i];
        return s;
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        int maxT = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 7;
        float[] a = new float[mib << 18];
        for (int i = 0; i < a.length; i++) a[i] = i & 7;
        for (int w = 0; w < 3; w++) sum(a, 0, a.length); // JIT
        for (int t = 1; t <= maxT; t++) {
            double[] gbs = new double[reps], cpu = new double[reps];
            var mx = java.lang.management.ManagementFactory.getThreadMXBean();
            for (int r = 0; r < reps; r++) {
                final int nt = t;
                Thread[] th = new Thread[nt];
                float[] sink = new float[nt];
                long[] cpuNs = new long[nt];
                long t0 = System.nanoTime();
                for (int k = 0; k < nt; k++) {
                    final int kk = k;
                    th[k] = new Thread(() -> {
                        long c0 = mx.getCurrentThreadCpuTime();
                        sink[kk] = sum(a, (int) ((long) a.length * kk / nt), (int) ((long) a.length * (kk + 1) / nt));
                        cpuNs[kk] = mx.getCurrentThreadCpuTime() - c0;
                    });
                    th[k].start();
                }
                for (Thread x : th) x.join();
                gbs[r] = a.length * 4.0 / (System.nanoTime() - t0);
                cpu[r] = a.length * 4.0 / java.util.Arrays.stream(cpuNs).sum();
                if (sink[0] == -1) System.out.print("");
            }
            java.util.Arrays.sort(gbs);
            java.util.Arrays.sort(cpu);
            System.out.printf("BW threads=%d best=%.1f median=%.1f GB/s; per CPU-second: median %.1f GB%n", t, gbs[reps - 1],
                    gbs[reps / 2], cpu[reps / 2]);
        }
    }
}
