package org.taylormlp.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import static org.taylormlp.tensor.VectorKernels.BQ8;
import static org.taylormlp.tensor.VectorKernels.BQ8_LANES;
import static org.taylormlp.tensor.VectorKernels.F;
import static org.taylormlp.tensor.VectorKernels.I;
import static org.taylormlp.tensor.VectorKernels.L;
import static org.taylormlp.tensor.VectorKernels.Q8_PARTS;
import static org.taylormlp.tensor.VectorKernels.S;

/**
 * The batched product of prompt processing, {@code out[b, r] = W[r, :] · x[b, :]}, blocked for the caches and
 * registers in the manner of BLIS / GotoBLAS:
 * <ol>
 *   <li>The activations are transposed once per product ({@link #transpose}: per tile of {@link #NB} tokens, column
 *       after column, padded with zeros to whole tiles), so that a vector holds one column of {@code L} tokens and
 *       the micro-kernel reads one sequential stream.</li>
 *   <li>Weights are taken {@link #MR} rows at a time ({@link #KC} columns at most) and dequantized once into a
 *       float panel (a thread's own; whole rows, so it lives in L2). Every dtype is unpacked to the floats
 *       ggml's {@code to_float} gives (F16/BF16 widened, block scales and mins applied), so one float micro-kernel
 *       serves them all and the unpacking is paid once per weight per batch, not once per token.</li>
 *   <li>The micro-kernel ({@link #tile}) computes {@code MR} rows × {@code NB = 2L} tokens: per column k it loads
 *       two activation vectors and broadcasts each of the {@code MR} panel weights, {@code 2·MR} FMAs into as many
 *       accumulators that each hold {@code L} finished outputs, so no horizontal reduction is needed (with 6 rows,
 *       12 accumulators + 2 activation vectors + 1 broadcast fit AVX2's 16 registers; AVX-512's 32 take 12 rows,
 *       {@link #tile12}). Rows wider than {@code KC} are cut into column blocks, the outer loop, whose partial sums
 *       are added into {@code out}.</li>
 * </ol>
 * Each output is summed column by column in one accumulator lane, with the weight rounded to float first, where the
 * decode kernels sum {@code L} lanes and reduce them (and the quantized ones scale a block's sum): a prompt processed
 * in a batch agrees with decoding it token by token to float rounding, not bit for bit (the bound and its
 * measurement: {@code PrefillToleranceTest}). The result does not depend on the batch split or the number of threads.
 */
final class Gemm {
    /**
     * Weight rows per micro-kernel tile: 6 with 16 vector registers (AVX2: 12 accumulators), 12 with 32 (AVX-512:
     * 24 accumulators, {@link #tile12}), which halves the activation loads per multiply-add.
     */
    static final int MR = L >= 16 ? 12 : 6;
    /** Tokens per micro-kernel tile: two vectors. */
    static final int NB = 2 * L;
    /**
     * Columns per block: a multiple of every block size (256) and of L, and above the widest rows of the supported
     * shapes (Llama-3-8B's 14336), so that a panel holds whole rows: each weight row is then read as one sequential
     * stream, which the hardware prefetchers follow, and the outputs are written once. On 8B shapes (AVX2, BF16, batch
     * 64, one thread) this measured 36-39 GMAC/s against 29-31 with blocks of 1024 (docs/PERFORMANCE.md), where each
     * row was read in 2 KB pieces and every block added its partial sums into the outputs again.
     */
    static final int KC = 16384;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** A thread's weight panel (MR × KC) and tile of results (MR × NB). */
    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[MR * KC]);
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NB]);
    /** A thread's copy of the quantized bytes being unpacked (the block types without a vector unpacking). */
    private static final ThreadLocal<byte[][]> BYTES = ThreadLocal.withInitial(() -> new byte[1][0]);
    /** The calling thread's transposed activations. */
    private static final ThreadLocal<float[][]> XT = ThreadLocal.withInitial(() -> new float[1][0]);

    private Gemm() {
    }

    /** Tokens rounded up to whole tiles of {@link #NB}: the transposed activations hold this many × k floats. */
    static int paddedBatch(int batch) {
        return (batch + NB - 1) / NB * NB;
    }

    /**
     * The calling thread's buffer for {@code batch} activation rows of {@code k} transposed ({@link #transpose});
     * reused by the next call on the same thread.
     */
    static float[] transposeBuffer(int batch, int k) {
        float[][] holder = XT.get();
        int need = Math.multiplyExact(paddedBatch(batch), k);
        if (holder[0].length < need) holder[0] = new float[need];
        return holder[0];
    }

    /**
     * Token tiles {@code [tile0, tile1)} of x ({@code batch} rows of {@code k}) transposed into xt, one block of
     * {@code k × NB} floats per tile of {@link #NB} tokens so that the micro-kernel reads one sequential stream:
     * {@code xt[(b / NB)·k·NB + c·NB + b % NB] = x[b·k + c]}, zero for the padding tokens up to {@code
     * paddedBatch(batch)}. Tiles are independent (threads may transpose different tiles).
     */
    static void transpose(float[] x, float[] xt, int batch, int k, int tile0, int tile1) {
        for (int b0 = tile0 * NB; b0 < tile1 * NB; b0 += NB) {
            int base = b0 * k, nb = Math.min(NB, batch - b0);
            for (int j = 0; j < nb; j++) {
                int xo = (b0 + j) * k;
                for (int c = 0; c < k; c++) xt[base + c * NB + j] = x[xo + c];
            }
            if (nb < NB) {
                for (int c = 0; c < k; c++) java.util.Arrays.fill(xt, base + c * NB + nb, base + c * NB + NB, 0f);
            }
        }
    }

    /**
     * Rows {@code [r0, r1)} of {@code out = x · Wᵀ} ({@code out[b · rows + r]}) for the {@code batch} activation rows
     * transposed into {@code xt} by {@link #transpose}.
     */
    static void rows(Tensor w, float[] xt, int batch, float[] out, int r0, int r1) {
        int k = w.cols(), rows = w.rows();
        DType t = w.dtype();
        MemorySegment m = w.data();
        long rowBytes = t.bytesFor(k);
        float[] panel = PANEL.get();
        float[] tile = TILE.get();
        // column blocks outermost (one block unless a row is wider than KC): each weight is read once
        for (int k0 = 0; k0 < k; k0 += KC) {
            int kc = Math.min(KC, k - k0);
            for (int rg = r0; rg < r1; rg += MR) {
                int mr = Math.min(MR, r1 - rg);
                unpackGroup(t, m, rowBytes, rg, mr, k0, kc, panel);
                for (int b0 = 0; b0 < batch; b0 += NB) {
                    if (MR == 12) tile12(panel, kc, xt, b0 * k + k0 * NB, NB, tile);
                    else tile(panel, kc, xt, b0 * k + k0 * NB, NB, tile);
                    store(tile, out, rows, rg, mr, b0, Math.min(NB, batch - b0), k0 > 0);
                }
            }
        }
    }

    /**
     * Columns {@code [k0, k0 + kc)} of the {@code mr} rows from row {@code rg} unpacked into the panel (row i at
     * {@code i · kc}), the rows up to {@link #MR} zero.
     */
    static void unpackGroup(DType t, MemorySegment m, long rowBytes, int rg, int mr, int k0, int kc, float[] panel) {
        for (int i = 0; i < mr; i++) unpack(t, m, (rg + i) * rowBytes, k0, kc, panel, i * kc);
        if (mr < MR) java.util.Arrays.fill(panel, mr * kc, MR * kc, 0f);
    }

    /**
     * A tile's results for rows {@code [rg, rg + mr)} and tokens {@code [b0, b0 + nb)} written into {@code out}
     * (added when {@code add}: a later column block). Token by token: a token's mr outputs are adjacent in out,
     * where a row's nb outputs lie a row of out apart.
     */
    static void store(float[] tile, float[] out, int rows, int rg, int mr, int b0, int nb, boolean add) {
        for (int b = 0; b < nb; b++) {
            int o = (b0 + b) * rows + rg;
            if (add) {
                for (int i = 0; i < mr; i++) out[o + i] += tile[i * NB + b];
            } else {
                for (int i = 0; i < mr; i++) out[o + i] = tile[i * NB + b];
            }
        }
    }

    /**
     * The micro-kernel: {@code res[r · NB + b] = Σ_c panel[r · kc + c] · xt[xo + c · xs + b]} for r < MR, b < NB.
     * Written out by hand: C2 keeps the 12 accumulators in registers only when nothing in the loop is a call.
     */
    static void tile(float[] p, int kc, float[] xt, int xo, int xs, float[] res) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        int p1 = kc, p2 = 2 * kc, p3 = 3 * kc, p4 = 4 * kc, p5 = 5 * kc;
        for (int c = 0; c < kc; c++) {
            int xi = xo + c * xs;
            FloatVector x0 = FloatVector.fromArray(F, xt, xi), x1 = FloatVector.fromArray(F, xt, xi + L);
            FloatVector w = FloatVector.broadcast(F, p[c]);
            c00 = w.fma(x0, c00); c01 = w.fma(x1, c01);
            w = FloatVector.broadcast(F, p[p1 + c]);
            c10 = w.fma(x0, c10); c11 = w.fma(x1, c11);
            w = FloatVector.broadcast(F, p[p2 + c]);
            c20 = w.fma(x0, c20); c21 = w.fma(x1, c21);
            w = FloatVector.broadcast(F, p[p3 + c]);
            c30 = w.fma(x0, c30); c31 = w.fma(x1, c31);
            w = FloatVector.broadcast(F, p[p4 + c]);
            c40 = w.fma(x0, c40); c41 = w.fma(x1, c41);
            w = FloatVector.broadcast(F, p[p5 + c]);
            c50 = w.fma(x0, c50); c51 = w.fma(x1, c51);
        }
        c00.intoArray(res, 0); c01.intoArray(res, L);
        c10.intoArray(res, NB); c11.intoArray(res, NB + L);
        c20.intoArray(res, 2 * NB); c21.intoArray(res, 2 * NB + L);
        c30.intoArray(res, 3 * NB); c31.intoArray(res, 3 * NB + L);
        c40.intoArray(res, 4 * NB); c41.intoArray(res, 4 * NB + L);
        c50.intoArray(res, 5 * NB); c51.intoArray(res, 5 * NB + L);
    }

    /** {@link #tile} for 12 rows (AVX-512: 24 accumulators, 2 activation vectors and a broadcast in 32 registers). */
    static void tile12(float[] p, int kc, float[] xt, int xo, int xs, float[] res) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        FloatVector c60 = z, c61 = z, c70 = z, c71 = z, c80 = z, c81 = z, c90 = z, c91 = z, ca0 = z, ca1 = z, cb0 = z, cb1 = z;
        int p1 = kc, p2 = 2 * kc, p3 = 3 * kc, p4 = 4 * kc, p5 = 5 * kc, p6 = 6 * kc, p7 = 7 * kc, p8 = 8 * kc, p9 = 9 * kc;
        int pa = 10 * kc, pb = 11 * kc;
        for (int c = 0; c < kc; c++) {
            int xi = xo + c * xs;
            FloatVector x0 = FloatVector.fromArray(F, xt, xi), x1 = FloatVector.fromArray(F, xt, xi + L);
            FloatVector w = FloatVector.broadcast(F, p[c]);
            c00 = w.fma(x0, c00); c01 = w.fma(x1, c01);
            w = FloatVector.broadcast(F, p[p1 + c]);
            c10 = w.fma(x0, c10); c11 = w.fma(x1, c11);
            w = FloatVector.broadcast(F, p[p2 + c]);
            c20 = w.fma(x0, c20); c21 = w.fma(x1, c21);
            w = FloatVector.broadcast(F, p[p3 + c]);
            c30 = w.fma(x0, c30); c31 = w.fma(x1, c31);
            w = FloatVector.broadcast(F, p[p4 + c]);
            c40 = w.fma(x0, c40); c41 = w.fma(x1, c41);
            w = FloatVector.broadcast(F, p[p5 + c]);
            c50 = w.fma(x0, c50); c51 = w.fma(x1, c51);
            w = FloatVector.broadcast(F, p[p6 + c]);
            c60 = w.fma(x0, c60); c61 = w.fma(x1, c61);
            w = FloatVector.broadcast(F, p[p7 + c]);
            c70 = w.fma(x0, c70); c71 = w.fma(x1, c71);
            w = FloatVector.broadcast(F, p[p8 + c]);
            c80 = w.fma(x0, c80); c81 = w.fma(x1, c81);
            w = FloatVector.broadcast(F, p[p9 + c]);
            c90 = w.fma(x0, c90); c91 = w.fma(x1, c91);
            w = FloatVector.broadcast(F, p[pa + c]);
            ca0 = w.fma(x0, ca0); ca1 = w.fma(x1, ca1);
            w = FloatVector.broadcast(F, p[pb + c]);
            cb0 = w.fma(x0, cb0); cb1 = w.fma(x1, cb1);
        }
        c00.intoArray(res, 0); c01.intoArray(res, L);
        c10.intoArray(res, NB); c11.intoArray(res, NB + L);
        c20.intoArray(res, 2 * NB); c21.intoArray(res, 2 * NB + L);
        c30.intoArray(res, 3 * NB); c31.intoArray(res, 3 * NB + L);
        c40.intoArray(res, 4 * NB); c41.intoArray(res, 4 * NB + L);
        c50.intoArray(res, 5 * NB); c51.intoArray(res, 5 * NB + L);
        c60.intoArray(res, 6 * NB); c61.intoArray(res, 6 * NB + L);
        c70.intoArray(res, 7 * NB); c71.intoArray(res, 7 * NB + L);
        c80.intoArray(res, 8 * NB); c81.intoArray(res, 8 * NB + L);
        c90.intoArray(res, 9 * NB); c91.intoArray(res, 9 * NB + L);
        ca0.intoArray(res, 10 * NB); ca1.intoArray(res, 10 * NB + L);
        cb0.intoArray(res, 11 * NB); cb1.intoArray(res, 11 * NB + L);
    }

    /**
     * Columns {@code [k0, k0 + n)} of the row at byte offset {@code row} as floats into {@code dst[d..]}: the
     * values of {@link Tensor#read} (ggml's dequantization), vectorized for the classic types. {@code k0} is a
     * multiple of the block size.
     */
    static void unpack(DType t, MemorySegment m, long row, int k0, int n, float[] dst, int d) {
        switch (t) {
            case F32 -> {
                // a vector loop: MemorySegment.copy with an unaligned float layout measured several times slower
                long off = row + 4L * k0;
                int i = 0;
                for (; i <= n - L; i += L) FloatVector.fromMemorySegment(F, m, off + 4L * i, LE).intoArray(dst, d + i);
                for (; i < n; i++) dst[d + i] = m.get(Tensor.F32_LE, off + 4L * i);
            }
            case BF16 -> {
                long off = row + 2L * k0;
                int i = 0;
                for (; i <= n - L; i += L) {
                    ((IntVector) ShortVector.fromMemorySegment(S, m, off + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0))
                            .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, d + i);
                }
                for (; i < n; i++) dst[d + i] = Float.intBitsToFloat(m.get(Tensor.I16_LE, off + 2L * i) << 16);
            }
            case F16 -> {
                long off = row + 2L * k0;
                int i = 0;
                for (; i <= n - L; i += L) {
                    IntVector h = (IntVector) ShortVector.fromMemorySegment(S, m, off + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0);
                    IntVector em = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
                    em.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                            .lanewise(VectorOperators.OR, 0x7f800000, em.compare(VectorOperators.GE, 0x0f800000))
                            .or(h.and(0x80000000)).reinterpretAsFloats().intoArray(dst, d + i);
                }
                for (; i < n; i++) dst[d + i] = Float.float16ToFloat(m.get(Tensor.I16_LE, off + 2L * i));
            }
            case Q8_0 -> {
                long blk = row + (k0 / 32) * 34L;
                for (int i = 0; i < n; i += 32, blk += 34) {
                    FloatVector s = FloatVector.broadcast(F, Float.float16ToFloat(m.get(Tensor.I16_LE, blk)));
                    for (int q = 0; q < 32; q += BQ8_LANES) {
                        ByteVector b = ByteVector.fromMemorySegment(BQ8, m, blk + 2 + q, LE);
                        ((FloatVector) b.convertShape(VectorOperators.B2F, F, 0)).mul(s).intoArray(dst, d + i + q);
                        if (Q8_PARTS == 2) ((FloatVector) b.convertShape(VectorOperators.B2F, F, 1)).mul(s).intoArray(dst, d + i + q + L);
                    }
                }
            }
            case Q4_0 -> {
                long blk = row + (k0 / 32) * 18L;
                for (int i = 0; i < n; i += 32, blk += 18) {
                    FloatVector s = FloatVector.broadcast(F, Float.float16ToFloat(m.get(Tensor.I16_LE, blk)));
                    for (int q = 0; q < 16; q += BQ8_LANES) {
                        ByteVector b = ByteVector.fromMemorySegment(BQ8, m, blk + 2 + q, LE);
                        ByteVector lo = b.and((byte) 0x0f).sub((byte) 8);
                        ByteVector hi = KQuants.shr(b, 4).and((byte) 0x0f).sub((byte) 8);
                        int j = d + i + q;
                        ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(s).intoArray(dst, j);
                        ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(s).intoArray(dst, j + 16);
                        if (Q8_PARTS == 2) {
                            ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).mul(s).intoArray(dst, j + L);
                            ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).mul(s).intoArray(dst, j + 16 + L);
                        }
                    }
                }
            }
            default -> {
                // the other block types: the row span copied into a byte array once, then decoded block by block
                int bs = t.blockSize(), bb = t.blockBytes();
                int bytes = n / bs * bb;
                byte[][] holder = BYTES.get();
                if (holder[0].length < bytes) holder[0] = new byte[bytes];
                byte[] raw = holder[0];
                MemorySegment.copy(m, java.lang.foreign.ValueLayout.JAVA_BYTE, row + (long) (k0 / bs) * bb, raw, 0, bytes);
                for (int i = 0, o = 0; i < n; i += bs, o += bb) KBlocks.dequantizeBlock(t, raw, o, dst, d + i);
            }
        }
    }
}
