package org.taylormlp.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A probe, not a product kernel: the float multiply-add ceiling of one core through the Vector API, twelve
 * independent FMA chains on registers (no loads) with the preferred species, in GMAC/s (lanes × FMAs per second).
 * The prompt-processing micro-kernel ({@code Gemm.tile}, {@code Gemm.tile12}) is measured against it in
 * docs/PERFORMANCE.md.
 *
 * <p>Run: {@code taskset -c 1 mvn -q -Pjmh test-compile exec:exec -Djmh.main=org.taylormlp.tensor.FmaPeakProbe}.
 */
public final class FmaPeakProbe {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private FmaPeakProbe() {
    }

    static float chains(int n) {
        FloatVector a0 = FloatVector.broadcast(F, 1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        FloatVector m = FloatVector.broadcast(F, 0.999999f), c = FloatVector.broadcast(F, 1e-7f);
        for (int i = 0; i < n; i++) {
            a0 = a0.fma(m, c); a1 = a1.fma(m, c); a2 = a2.fma(m, c); a3 = a3.fma(m, c);
            a4 = a4.fma(m, c); a5 = a5.fma(m, c); a6 = a6.fma(m, c); a7 = a7.fma(m, c);
            a8 = a8.fma(m, c); a9 = a9.fma(m, c); a10 = a10.fma(m, c); a11 = a11.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }

    public static void main(String[] args) {
        int n = 50_000_000;
        double best = 0;
        float sink = 0;
        for (int r = 0; r < 8; r++) {
            long t = System.nanoTime();
            sink += chains(n);
            long e = System.nanoTime() - t;
            best = Math.max(best, 12.0 * n * F.length() / e);
        }
        System.out.printf("%d float lanes: best %.1f GMAC/s of FMA on one thread (checksum %.3f)%n", F.length(), best, sink);
    }
}
