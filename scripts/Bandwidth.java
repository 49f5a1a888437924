import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.taylormlp.format.AnonymousMemory;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Memory read bandwidth as the decode loop sees it: a Vector API sum over a buffer much larger than the caches,
 * on 1..T threads (each thread sums its own slice). The buffer is the same kind of memory that
 * {@code --load copy} puts weights in ({@link AnonymousMemory}: anonymous, transparent huge pages advised).
 * Prints "BW threads=T best=X median=Y GB/s" per thread count, over R repetitions (wall clock), and the bytes
 * read per CPU-second of the summing threads (what a shared, oversubscribed machine still lets one compare).
 *
 * <pre>java --add-modules jdk.incubator.vector -cp target/taylormlp.jar scripts/Bandwidth.java [MiB=1024] [T=2] [R=7]</pre>
 */
public class Bandwidth {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    static float sum(MemorySegment a, long from, long to) {
        long step = F.vectorByteSize();
        ByteOrder bo = ByteOrder.nativeOrder();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (long i = from; i + 4 * step <= to; i += 4 * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, a, i, bo));
            a1 = a1.add(FloatVector.fromMemorySegment(F, a, i + step, bo));
            a2 = a2.add(FloatVector.fromMemorySegment(F, a, i + 2 * step, bo));
            a3 = a3.add(FloatVector.fromMemorySegment(F, a, i + 3 * step, bo));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        int maxT = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 7;
        try (AnonymousMemory mem = AnonymousMemory.allocate((long) mib << 20)) {
            MemorySegment a = mem.segment();
            long chunk = 4L * F.vectorByteSize();
            a.fill((byte) 1);
            MemorySegment small = a.asSlice(0, 64 << 10);
            for (int w = 0; w < 20_000; w++) sum(small, 0, small.byteSize()); // JIT before timing
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
                            long lo = a.byteSize() / chunk * kk / nt * chunk, hi = a.byteSize() / chunk * (kk + 1) / nt * chunk;
                            sink[kk] = sum(a, lo, hi);
                            cpuNs[kk] = mx.getCurrentThreadCpuTime() - c0;
                        });
                        th[k].start();
                    }
                    for (Thread x : th) x.join();
                    gbs[r] = a.byteSize() / (double) (System.nanoTime() - t0);
                    cpu[r] = a.byteSize() / (double) java.util.Arrays.stream(cpuNs).sum();
                    if (sink[0] == -1) System.out.print("");
                }
                java.util.Arrays.sort(gbs);
                java.util.Arrays.sort(cpu);
                System.out.printf("BW threads=%d best=%.1f median=%.1f GB/s; per CPU-second: median %.1f GB; huge pages advised: %s%n", t,
                        gbs[reps - 1], gbs[reps / 2], cpu[reps / 2], mem.hugePagesAdvised());
            }
        }
    }
}
