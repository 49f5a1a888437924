package org.taylormlp.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A quick side-by-side timing for noisy shared machines (JMH's averages swing by 2x there): every kernel variant
 * runs interleaved, round after round, in one JVM, and the best and median of the rounds are reported.
 *
 * <p>Run: {@code mvn -q -Pjmh test-compile exec:exec -Djmh.main=org.taylormlp.tensor.QuickBench
 * -Djmh.args="F32,Q8_0 4096x4096,288x768 1,2 matvec"} (args: dtypes, shapes, threads, ops among
 * matvec/scalar/matmulN, N the batch of a prompt product, e.g. matmul64; all optional).
 */
public final class QuickBench {
    public static void main(String[] args) {
        List<DType> dtypes = new ArrayList<>();
        for (String s : (args.length > 0 ? args[0] : "F32,F16,BF16,Q8_0,Q4_0").split(",")) dtypes.add(DType.valueOf(s));
        String[] shapes = (args.length > 1 ? args[1] : "4096x4096,288x768").split(",");
        int[] threads = Arrays.stream((args.length > 2 ? args[2] : "1,2").split(",")).mapToInt(Integer::parseInt).toArray();
        List<String> ops = List.of((args.length > 3 ? args[3] : "matvec,scalar").split(","));
        int rounds = Integer.getInteger("rounds", 30);
        System.out.println("# " + new VectorKernels(1).describe() + "; rounds=" + rounds);
        VectorKernels[] ks = Arrays.stream(threads).mapToObj(VectorKernels::new).toArray(VectorKernels[]::new);
        for (String shape : shapes) {
            int rows = Integer.parseInt(shape.split("x")[0]), cols = Integer.parseInt(shape.split("x")[1]);
            for (DType t : dtypes) {
                Random rnd = new Random(42);
                byte[] bytes = TestTensors.encode(t, TestTensors.gaussian(rnd, rows * cols, 0.02));
                MemorySegment seg = Arena.ofShared().allocate(bytes.length, 64);
                MemorySegment.copy(bytes, 0, seg, ValueLayout.JAVA_BYTE, 0, bytes.length);
                Tensor w = new Tensor("w", t, new long[] {rows, cols}, seg);
                float[] x = TestTensors.gaussian(rnd, cols, 1.0);
                float[] out = new float[rows];
                List<String> names = new ArrayList<>();
                List<Runnable> runs = new ArrayList<>();
                for (String op : ops) {
                    switch (op) {
                        case "scalar" -> { names.add("scalar"); runs.add(() -> ScalarKernels.INSTANCE.matvec(w, x, out)); }
                        case "matvec" -> { for (VectorKernels k : ks) { names.add("matvec/" + k.threads() + "t"); runs.add(() -> k.matvec(w, x, out)); } }
                        default -> {
                            if (!op.startsWith("matmul")) throw new IllegalArgumentException(op);
                            int nb = Integer.parseInt(op.substring("matmul".length()));
                            float[] xb = TestTensors.gaussian(rnd, cols * nb, 1.0), ob = new float[rows * nb];
                            for (VectorKernels k : ks) { names.add(op + "/" + k.threads() + "t"); runs.add(() -> k.matmul(w, xb, nb, ob)); }
                        }
                    }
                }
                long[][] times = new long[runs.size()][rounds];
                // warm-up
                for (int v = 0; v < runs.size(); v++) {
                    long end = System.nanoTime() + 1_000_000_000L;
                    while (System.nanoTime() < end) runs.get(v).run();
                }
                for (int r = 0; r < rounds; r++) {
                    for (int v = 0; v < runs.size(); v++) {
                        // each round: the best of a few calls (to skip a context switch), at least ~20 ms of work
                        long best = Long.MAX_VALUE, spent = 0;
                        int calls = 0;
                        while (calls < 3 || (spent < 20_000_000L && calls < 10_000)) {
                            long t0 = System.nanoTime();
                            runs.get(v).run();
                            long dt = System.nanoTime() - t0;
                            best = Math.min(best, dt);
                            spent += dt;
                            calls++;
                        }
                        times[v][r] = best;
                    }
                }
                double scalarMed = Double.NaN;
                for (int v = 0; v < runs.size(); v++) {
                    long[] ts = times[v].clone();
                    Arrays.sort(ts);
                    if (names.get(v).equals("scalar")) scalarMed = ts[rounds / 2];
                }
                for (int v = 0; v < runs.size(); v++) {
                    long[] ts = times[v].clone();
                    Arrays.sort(ts);
                    double min = ts[0] / 1e3, med = ts[rounds / 2] / 1e3;
                    double bytesPerOp = w.byteSize();
                    String op = names.get(v).substring(0, names.get(v).indexOf('/') < 0 ? names.get(v).length() : names.get(v).indexOf('/'));
                    long macs = (long) rows * cols * (op.startsWith("matmul") ? Integer.parseInt(op.substring(6)) : 1);
                    System.out.printf("%-5s %-10s %-13s best %9.1f us  median %9.1f us  %6.1f GB/s  %5.1f GMAC/s (best)%s%n",
                            t, shape, names.get(v), min, med, bytesPerOp / (med * 1e3), macs / (min * 1e3),
                            Double.isNaN(scalarMed) ? "" : String.format("  x%.1f vs scalar", scalarMed / 1e3 / med));
                }
            }
        }
        for (VectorKernels k : ks) k.pool().close();
    }
}
