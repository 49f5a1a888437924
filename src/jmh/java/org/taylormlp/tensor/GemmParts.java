package org.taylormlp.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/**
 * A probe, not a product kernel: where the time of one batched product ({@link Gemm#rows}, batch 64) goes, in one
 * JVM: the whole product, then its two parts on their own, the unpacking of every row group into the float panel
 * (weights read from memory) and the micro-kernel tiles with their stores into {@code out} (one panel reused, so
 * the weights come from the cache). Best of 5 per round, 6 rounds. docs/PERFORMANCE.md quotes it.
 *
 * <p>Run: {@code taskset -c 1 mvn -q -Pjmh test-compile exec:exec -Djmh.main=org.taylormlp.tensor.GemmParts
 * -Djmh.args="14336 4096 BF16"} (rows, columns, dtype).
 */
public final class GemmParts {
    private GemmParts() {
    }

    public static void main(String[] a) {
        int rows = Integer.parseInt(a[0]), k = Integer.parseInt(a[1]), batch = 64;
        DType t = DType.valueOf(a.length > 2 ? a[2] : "BF16");
        Random rnd = new Random(42);
        byte[] bytes = TestTensors.encode(t, TestTensors.gaussian(rnd, rows * k, 0.02));
        MemorySegment seg = Arena.ofShared().allocate(bytes.length, 1 << 21);
        MemorySegment.copy(bytes, 0, seg, ValueLayout.JAVA_BYTE, 0, bytes.length);
        Tensor w = new Tensor("w", t, new long[] {rows, k}, seg);
        float[] x = TestTensors.gaussian(rnd, k * batch, 1.0);
        float[] xt = new float[Gemm.paddedBatch(batch) * k];
        Gemm.transpose(x, xt, batch, k, 0, Gemm.paddedBatch(batch) / Gemm.NB);
        float[] out = new float[rows * batch];
        float[] panel = new float[Gemm.MR * k];
        float[] tile = new float[Gemm.MR * Gemm.NB];
        long rowBytes = t.bytesFor(k);
        double macs = (double) rows * k * batch;
        for (int round = 0; round < 6; round++) {
            long whole = Long.MAX_VALUE, unpack = Long.MAX_VALUE, tiles = Long.MAX_VALUE;
            for (int rep = 0; rep < 5; rep++) {
                long s = System.nanoTime();
                Gemm.rows(w, xt, batch, out, 0, rows);
                whole = Math.min(whole, System.nanoTime() - s);
                s = System.nanoTime();
                for (int rg = 0; rg < rows; rg += Gemm.MR) Gemm.unpackGroup(t, seg, rowBytes, rg, Math.min(Gemm.MR, rows - rg), 0, k, panel);
                unpack = Math.min(unpack, System.nanoTime() - s);
                s = System.nanoTime();
                for (int rg = 0; rg < rows; rg += Gemm.MR) {
                    int mr = Math.min(Gemm.MR, rows - rg);
                    for (int b0 = 0; b0 < batch; b0 += Gemm.NB) {
                        if (Gemm.MR == 12) Gemm.tile12(panel, k, xt, b0 * k, Gemm.NB, tile);
                        else Gemm.tile(panel, k, xt, b0 * k, Gemm.NB, tile);
                        Gemm.store(tile, out, rows, rg, mr, b0, Math.min(Gemm.NB, batch - b0), false);
                    }
                }
                tiles = Math.min(tiles, System.nanoTime() - s);
            }
            System.out.printf("%s %dx%d batch %d: product %.1f ms (%.1f GMAC/s); alone: unpacking %.1f ms (%.1f GB/s of weights)"
                            + ", tiles %.1f ms (%.1f GMAC/s)%n", t, rows, k, batch, whole / 1e6, macs / whole, unpack / 1e6,
                    (double) bytes.length / unpack, tiles / 1e6, macs / tiles);
        }
    }
}
