package org.taylormlp.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import static org.taylormlp.tensor.KBlocks.I32_LE;
import static org.taylormlp.tensor.KBlocks.I64_LE;
import static org.taylormlp.tensor.KBlocks.h;
import static org.taylormlp.tensor.KBlocks.scaleMin;

/**
 * The Vector API kernels of the block types {@link KBlocks} describes (Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K).
 *
 * <p>The float dot products ({@link #rows}): per sub-block the quantized values are cut out in
 * 32-bit lanes (AVX2 has no byte-lane shifts), widened to float lanes and multiplied with x (x stays in float, as in
 * {@link VectorKernels}); the block's scale is applied once per sub-block and the mins through the sum of x over the
 * sub-block, computed once per chunk of rows rather than in every row ({@link #subSums}):
 * {@code Σ (d·sc·q − dmin·m)·x = d·sc·Σ q·x − dmin·m·Σ x}.
 */
public final class KQuants {
    private KQuants() {}

    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final int L = VectorKernels.L;
    /** Byte lanes per load: L, but at least 8 (then two float parts per load on 128-bit vectors). */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class,
            jdk.incubator.vector.VectorShape.forBitSize(Math.max(L, 8) * 8));
    private static final int P = B.length();
    /** The same bits as {@link #B} in 32-bit lanes, for cutting bit fields. */
    private static final VectorSpecies<Integer> BI = VectorSpecies.of(int.class, B.vectorShape());
    private static final int PARTS = P / L;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /**
     * For Q5_0/Q5_1's fifth bits: {@code SPREAD[v]} is a long whose byte i is 16 when bit i of the byte v is set, else
     * 0. Each block's 32-bit qh word becomes 32 bytes (element j's fifth bit, as 16 or 0) by four table reads and four
     * long stores into a small array, which the loop then loads like the nibbles. (Shuffles with per-lane variable
     * byte shifts, the obvious vector form, have no AVX2 instruction and ran 3x slower in C2's Java fallback.)
     */
    private static final long[] SPREAD = spread();

    private static long[] spread() {
        long[] t = new long[256];
        for (int v = 0; v < 256; v++) for (int i = 0; i < 8; i++) if ((v >> i & 1) != 0) t[v] |= 16L << (8 * i);
        return t;
    }

    /** fb[0..32) = the fifth bits of a block's qh word, 16 or 0 per element. */
    private static void fifthBits(int qh, byte[] fb) {
        KBlocks.LONGS.set(fb, 0, SPREAD[qh & 0xff]);
        KBlocks.LONGS.set(fb, 8, SPREAD[(qh >>> 8) & 0xff]);
        KBlocks.LONGS.set(fb, 16, SPREAD[(qh >>> 16) & 0xff]);
        KBlocks.LONGS.set(fb, 24, SPREAD[qh >>> 24]);
    }

    /**
     * The byte lanes of {@code b} shifted right by {@code s} bits as 32-bit lanes: one instruction, where a shift of
     * byte lanes has no AVX2 instruction and C2 emulates it with a widening, a shift and a narrowing (Q6_K's five
     * byte shifts per 32 weights held its decode to 2 GMAC/s; the K-quant kernels now cut their bit fields in 32-bit
     * lanes directly). The bits of the next byte enter each byte's top {@code s} bits, so callers mask the result.
     */
    static ByteVector shr(ByteVector b, int s) {
        return b.reinterpretAsInts().lanewise(VectorOperators.LSHR, s).reinterpretAsBytes();
    }


    /** out[ob + r] = W[r] · x for r in [r0, r1). */
    static void rows(DType t, MemorySegment m, long rowBytes, float[] x, int xo, int n, float[] out, int ob, int r0, int r1) {
        switch (t) {
            case Q4_K -> rowsQ4K(m, rowBytes, x, xo, n, out, ob, r0, r1);
            case Q5_K -> rowsQ5K(m, rowBytes, x, xo, n, out, ob, r0, r1);
            case Q6_K -> { for (int r = r0; r < r1; r++) out[ob + r] = dotQ6K(m, r * rowBytes, x, xo, n); }
            case Q4_1 -> { for (int r = r0; r < r1; r++) out[ob + r] = dotQ4_1(m, r * rowBytes, x, xo, n); }
            case Q5_0 -> {
                byte[] fb = new byte[32]; // fifth-bit scratch, one per call rather than per row
                for (int r = r0; r < r1; r++) out[ob + r] = dotQ5_0(m, r * rowBytes, x, xo, n, fb);
            }
            case Q5_1 -> {
                byte[] fb = new byte[32];
                for (int r = r0; r < r1; r++) out[ob + r] = dotQ5_1(m, r * rowBytes, x, xo, n, fb);
            }
            default -> throw new IllegalArgumentException(t + " is not a KQuants type");
        }
    }

    /** A thread's sums of x over 32-element sub-blocks ({@link #subSums}). */
    private static final ThreadLocal<float[][]> SUB_SUMS = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * The calling thread's {@code xs[j] = Σ x[xo + 32j .. xo + 32j + 32)} for j < n / 32, each summed in one fixed
     * order (so every thread gets the same bits): the mins of Q4_K/Q5_K rows are applied through these once per
     * sub-block instead of summing x again in every row.
     */
    static float[] subSums(float[] x, int xo, int n) {
        float[][] holder = SUB_SUMS.get();
        if (holder[0].length < n / 32) holder[0] = new float[n / 32];
        float[] xs = holder[0];
        for (int j = 0; j < n / 32; j++) {
            FloatVector v = FloatVector.fromArray(F, x, xo + 32 * j);
            for (int q = L; q < 32; q += L) v = v.add(FloatVector.fromArray(F, x, xo + 32 * j + q));
            xs[j] = VectorKernels.sum(v);
        }
        return xs;
    }

    /** Q4_K rows [r0, r1): {@link #dotQ4K} with the sums of x per sub-block computed once for all rows. */
    static void rowsQ4K(MemorySegment m, long rowBytes, float[] x, int xo, int n, float[] out, int ob, int r0, int r1) {
        float[] xs = subSums(x, xo, n);
        for (int r = r0; r < r1; r++) out[ob + r] = dotQ4K(m, r * rowBytes, x, xo, n, xs);
    }

    /**
     * Q4_K: a super-block's eight 6-bit scales and mins decoded once from the 12 bytes read as a long and an int;
     * the mins applied as {@code dmin · Σ_j m_j·xs[j]} through the sums of x per sub-block ({@link #subSums}); per
     * group of 64, the low nibbles (sub-block 2g) and high nibbles (2g + 1) cut in 32-bit lanes, widened to float
     * lanes and multiplied with x into four independent sums, then scaled by {@code d·sc} once per sub-block. The
     * scale prologue is written out here, in {@link #dotQ5K} and in {@link #dotQ4Kx} on purpose: shared helpers (the
     * scales packed in a long, the mins' dot product in a loop) made the float kernels 1.5-1.7x slower.
     */
    static float dotQ4K(MemorySegment m, long a, float[] x, int xo, int n, float[] xs) {
        FloatVector accA = FloatVector.zero(F), accA2 = accA;
        float minsA = 0f;
        for (int i = 0; i < n; i += 256, a += 144) {
            float dA = h(m, a), dminA = h(m, a + 2);
            long sa = m.get(I64_LE, a + 4);
            int ta = m.get(I32_LE, a + 12);
            int s01 = scaleMin(sa, ta, 0), s11 = scaleMin(sa, ta, 1), s21 = scaleMin(sa, ta, 2), s31 = scaleMin(sa, ta, 3);
            int s41 = scaleMin(sa, ta, 4), s51 = scaleMin(sa, ta, 5), s61 = scaleMin(sa, ta, 6), s71 = scaleMin(sa, ta, 7);
            int xi = i / 32;
            float mA = (s01 >> 8) * xs[xi] + (s11 >> 8) * xs[xi + 1] + (s21 >> 8) * xs[xi + 2] + (s31 >> 8) * xs[xi + 3]
                    + (s41 >> 8) * xs[xi + 4] + (s51 >> 8) * xs[xi + 5] + (s61 >> 8) * xs[xi + 6] + (s71 >> 8) * xs[xi + 7];
            minsA += dminA * mA;
            for (int g = 0; g < 4; g++) {
                FloatVector al = FloatVector.zero(F), ah = al, al2 = al, ah2 = al;
                long qa = a + 16 + 32 * g;
                int xb = xo + i + 64 * g;
                for (int q = 0; q < 32; q += 2 * P) {
                    IntVector wa = IntVector.fromMemorySegment(BI, m, qa + q, LE), wb = IntVector.fromMemorySegment(BI, m, qa + q + P, LE);
                    ByteVector alo = wa.and(0x0f0f0f0f).reinterpretAsBytes(), ahi = wa.lanewise(VectorOperators.LSHR, 4).and(0x0f0f0f0f).reinterpretAsBytes();
                    ByteVector blo = wb.and(0x0f0f0f0f).reinterpretAsBytes(), bhi = wb.lanewise(VectorOperators.LSHR, 4).and(0x0f0f0f0f).reinterpretAsBytes();
                    al = ((FloatVector) alo.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + q), al);
                    ah = ((FloatVector) ahi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 32 + q), ah);
                    al2 = ((FloatVector) blo.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + q + P), al2);
                    ah2 = ((FloatVector) bhi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 32 + q + P), ah2);
                    if (PARTS == 2) {
                        al = ((FloatVector) alo.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xb + q + L), al);
                        ah = ((FloatVector) ahi.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xb + 32 + q + L), ah);
                        al2 = ((FloatVector) blo.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xb + q + P + L), al2);
                        ah2 = ((FloatVector) bhi.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xb + 32 + q + P + L), ah2);
                    }
                }
                int sl = g == 0 ? s01 : g == 1 ? s21 : g == 2 ? s41 : s61, sh = g == 0 ? s11 : g == 1 ? s31 : g == 2 ? s51 : s71;
                accA = al.add(al2).fma(FloatVector.broadcast(F, dA * (sl & 0xff)), accA);
                accA2 = ah.add(ah2).fma(FloatVector.broadcast(F, dA * (sh & 0xff)), accA2);
            }
        }
        return VectorKernels.sum(accA.add(accA2)) - minsA;
    }

    /** Q5_K rows [r0, r1): {@link #dotQ5K} with the sums of x per sub-block computed once for all rows. */
    static void rowsQ5K(MemorySegment m, long rowBytes, float[] x, int xo, int n, float[] out, int ob, int r0, int r1) {
        float[] xs = subSums(x, xo, n);
        for (int r = r0; r < r1; r++) out[ob + r] = dotQ5K(m, r * rowBytes, x, xo, n, xs);
    }

    /** Q5_K: as {@link #dotQ4K}, the fifth bit of sub-block s taken from bit s of qh[l]. */
    static float dotQ5K(MemorySegment m, long a, float[] x, int xo, int n, float[] xs) {
        FloatVector accA = FloatVector.zero(F), accA2 = accA;
        float minsA = 0f;
        for (int i = 0; i < n; i += 256, a += 176) {
            float dA = h(m, a), dminA = h(m, a + 2);
            long sa = m.get(I64_LE, a + 4);
            int ta = m.get(I32_LE, a + 12);
            int s01 = scaleMin(sa, ta, 0), s11 = scaleMin(sa, ta, 1), s21 = scaleMin(sa, ta, 2), s31 = scaleMin(sa, ta, 3);
            int s41 = scaleMin(sa, ta, 4), s51 = scaleMin(sa, ta, 5), s61 = scaleMin(sa, ta, 6), s71 = scaleMin(sa, ta, 7);
            int xi = i / 32;
            float mA = (s01 >> 8) * xs[xi] + (s11 >> 8) * xs[xi + 1] + (s21 >> 8) * xs[xi + 2] + (s31 >> 8) * xs[xi + 3]
                    + (s41 >> 8) * xs[xi + 4] + (s51 >> 8) * xs[xi + 5] + (s61 >> 8) * xs[xi + 6] + (s71 >> 8) * xs[xi + 7];
            minsA += dminA * mA;
            for (int g = 0; g < 4; g++) {
                FloatVector al = FloatVector.zero(F), ah = al, al2 = al, ah2 = al;
                long qa = a + 48 + 32 * g;
                int xb = xo + i + 64 * g, b0 = 2 * g, b1 = 2 * g + 1;
                for (int q = 0; q < 32; q += 2 * P) {
                    IntVector wa = IntVector.fromMemorySegment(BI, m, qa + q, LE), wb = IntVector.fromMemorySegment(BI, m, qa + q + P, LE);
                    IntVector ua = IntVector.fromMemorySegment(BI, m, a + 16 + q, LE), ub = IntVector.fromMemorySegment(BI, m, a + 16 + q + P, LE);
                    ByteVector alo = wa.and(0x0f0f0f0f).or(ua.lanewise(VectorOperators.LSHR, b0).and(0x01010101).lanewise(VectorOperators.LSHL, 4)).reinterpretAsBytes();
                    ByteVector ahi = wa.lanewise(VectorOperators.LSHR, 4).and(0x0f0f0f0f).or(ua.lanewise(VectorOperators.LSHR, b1).and(0x01010101).lanewise(VectorOperators.LSHL, 4)).reinterpretAsBytes();
                    ByteVector blo = wb.and(0x0f0f0f0f).or(ub.lanewise(VectorOperators.LSHR, b0).and(0x01010101).lanewise(VectorOperators.LSHL, 4)).reinterpretAsBytes();
                    ByteVector bhi = wb.lanewise(VectorOperators.LSHR, 4).and(0x0f0f0f0f).or(ub.lanewise(VectorOperators.LSHR, b1).and(0x01010101).lanewise(VectorOperators.LSHL, 4)).reinterpretAsBytes();
                    al = ((FloatVector) alo.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + q), al);
                    ah = ((FloatVector) ahi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 32 + q), ah);
                    al2 = ((FloatVector) blo.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + q + P), al2);
                    ah2 = ((FloatVector) bhi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 32 + q + P), ah2);
                    if (PARTS == 2) {
                        al = ((FloatVector) alo.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xb + q + L), al);
                        ah = ((FloatVector) ahi.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xb + 32 + q + L), ah);
                        al2 = ((FloatVector) blo.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xb + q + P + L), al2);
                        ah2 = ((FloatVector) bhi.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xb + 32 + q + P + L), ah2);
                    }
                }
                int sl = g == 0 ? s01 : g == 1 ? s21 : g == 2 ? s41 : s61, sh = g == 0 ? s11 : g == 1 ? s31 : g == 2 ? s51 : s71;
                accA = al.add(al2).fma(FloatVector.broadcast(F, dA * (sl & 0xff)), accA);
                accA2 = ah.add(ah2).fma(FloatVector.broadcast(F, dA * (sh & 0xff)), accA2);
            }
        }
        return VectorKernels.sum(accA.add(accA2)) - minsA;
    }

    /**
     * Q6_K: per half of 128 and P bytes at a time, four 6-bit values from two ql loads and one qh load (minus 32
     * in the byte lanes: −32..31 fits), each quarter's 16 elements that share a scale summed into one of four
     * independent sums and scaled by d·sc (the 16 int8 scales read as two longs per super-block).
     */
    static float dotQ6K(MemorySegment m, long off, float[] x, int xo, int n) {
        FloatVector acc1 = FloatVector.zero(F), acc2 = acc1, acc3 = acc1, acc4 = acc1;
        long blk = off;
        for (int i = 0; i < n; i += 256, blk += 210) {
            float d = h(m, blk + 208);
            long sc0 = m.get(I64_LE, blk + 192), sc1 = m.get(I64_LE, blk + 200); // 16 int8 scales, one per 16 weights
            for (int half = 0; half < 2; half++) {
                long ql = blk + 64 * half, qh = blk + 128 + 32 * half, sc = half == 0 ? sc0 : sc1;
                int xb = xo + i + 128 * half;
                for (int g = 0; g < 2; g++) {       // the 16 weights of each quarter that share a scale
                    FloatVector s1 = FloatVector.zero(F), s2 = s1, s3 = s1, s4 = s1;
                    for (int l = 16 * g; l < 16 * g + 16; l += P) {
                        // the bit fields are cut in 32-bit lanes (AVX2 has no byte shifts) and the bytes then centred
                        IntVector a = IntVector.fromMemorySegment(BI, m, ql + l, LE);
                        IntVector c = IntVector.fromMemorySegment(BI, m, ql + l + 32, LE);
                        IntVector hb = IntVector.fromMemorySegment(BI, m, qh + l, LE);
                        ByteVector q1 = a.and(0x0f0f0f0f).or(hb.lanewise(VectorOperators.LSHL, 4).and(0x30303030)).reinterpretAsBytes().sub((byte) 32);
                        ByteVector q2 = c.and(0x0f0f0f0f).or(hb.lanewise(VectorOperators.LSHL, 2).and(0x30303030)).reinterpretAsBytes().sub((byte) 32);
                        ByteVector q3 = a.lanewise(VectorOperators.LSHR, 4).and(0x0f0f0f0f).or(hb.and(0x30303030)).reinterpretAsBytes().sub((byte) 32);
                        ByteVector q4 = c.lanewise(VectorOperators.LSHR, 4).and(0x0f0f0f0f).or(hb.lanewise(VectorOperators.LSHR, 2).and(0x30303030)).reinterpretAsBytes().sub((byte) 32);
                        int j = xb + l;
                        s1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, j), s1);
                        s2 = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, j + 32), s2);
                        s3 = ((FloatVector) q3.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, j + 64), s3);
                        s4 = ((FloatVector) q4.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, j + 96), s4);
                        if (PARTS == 2) {
                            s1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, j + L), s1);
                            s2 = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, j + 32 + L), s2);
                            s3 = ((FloatVector) q3.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, j + 64 + L), s3);
                            s4 = ((FloatVector) q4.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, j + 96 + L), s4);
                        }
                    }
                    // scale bytes g, g + 2, g + 4, g + 6 of this half (signed)
                    acc1 = s1.fma(FloatVector.broadcast(F, d * (byte) (sc >>> (8 * g))), acc1);
                    acc2 = s2.fma(FloatVector.broadcast(F, d * (byte) (sc >>> (8 * g + 16))), acc2);
                    acc3 = s3.fma(FloatVector.broadcast(F, d * (byte) (sc >>> (8 * g + 32))), acc3);
                    acc4 = s4.fma(FloatVector.broadcast(F, d * (byte) (sc >>> (8 * g + 48))), acc4);
                }
            }
        }
        return VectorKernels.sum(acc1.add(acc2).add(acc3.add(acc4)));
    }

    // ------------------------------------------------------------------- int8-activation kernels (256-bit vectors)
    //
    // The K-quant products take the activations rounded to 8 bits per block of 32 (ActivationRounding): xq the
    // integers, xd the block scales, xb the blocks' sums of the rounded values (for the mins). With 256-bit vectors
    // a block of 32 is two 16-lane short vectors; the quants, widened to 16-bit lanes, are multiplied with the
    // integers there (|q·x| ≤ 15·127 for Q4_K, 32·127 for Q6_K: sums of a few fit 16 bits), the 16-bit sums are
    // folded pairwise into 32-bit lanes (two shifts and an add), converted to float and scaled once per block. Other
    // vector widths run the float kernels above on the rounded values instead (the same products up to rounding).

    /** Whether {@link #rowsQ4Kx} / {@link #rowsQ6Kx} apply: 16 short lanes per vector. */
    static final boolean INT_KQUANTS = VectorKernels.XL == 16;
    /**
     * Whether Q6_K takes its integer kernel ({@link #dotQ6Kx}): on every machine with 256-bit vectors, 512-bit ones
     * included, where the kernel keeps its 256-bit vectors ({@link #F6} ...): there it measured 11.3-11.6 GMAC/s
     * against 9.3-9.5 for the float kernel on 512-bit vectors (QuickBench Q6_K 1024×4096 and 768×2304, one thread,
     * docs/PERFORMANCE.md). Q4_K's integer kernel was no faster there, so it stays with {@link #INT_KQUANTS}.
     */
    static final boolean INT_Q6K = VectorKernels.F.vectorBitSize() >= 256;
    /** The species of {@link #dotQ6Kx}: 256 bits (16 shorts) whatever the preferred width. */
    private static final VectorSpecies<Float> F6 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I6 = IntVector.SPECIES_256;
    private static final VectorSpecies<Short> S6 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Byte> B6 = ByteVector.SPECIES_128;
    private static final VectorShuffle<Float> ROT6_4 = VectorShuffle.iota(F6, 4, 1, true),
            ROT6_2 = VectorShuffle.iota(F6, 2, 1, true), ROT6_1 = VectorShuffle.iota(F6, 1, 1, true);

    /** The sum of the 8 lanes of a {@link #F6} vector, in the order of {@link VectorKernels#sum} on 8 lanes. */
    private static float sum6(FloatVector v) {
        v = v.add(v.rearrange(ROT6_4));
        v = v.add(v.rearrange(ROT6_2));
        v = v.add(v.rearrange(ROT6_1));
        return v.lane(0);
    }
    private static final VectorSpecies<Short> SX = VectorKernels.SX;
    private static final VectorSpecies<Byte> BX = VectorKernels.BX;

    /**
     * Q4_K rows [r0, r1) times the rounded activations: {@link #dotQ4Kx} row by row (two rows per step, sharing the
     * activation loads, measured slower: 712 against 588 µs on 1024×4096).
     */
    static void rowsQ4Kx(MemorySegment m, long rowBytes, short[] xq, float[] xd, float[] xb, int n, float[] out, int ob, int r0, int r1) {
        for (int r = r0; r < r1; r++) out[ob + r] = dotQ4Kx(m, r * rowBytes, xq, xd, xb, n);
    }

    /**
     * Q4_K times the rounded activations: the scales and mins of a super-block decoded once as in {@link #dotQ4K},
     * the mins applied through the blocks' sums of the rounded activations; per group of 64 the 32 bytes widened
     * to shorts, low nibbles (sub-block 2g) and high nibbles (2g + 1) multiplied with the integers, folded, and scaled
     * by {@code d·sc·xd} once per sub-block.
     */
    static float dotQ4Kx(MemorySegment m, long a, short[] xq, float[] xd, float[] xb, int n) {
        FloatVector acc = FloatVector.zero(F), acc2 = acc;
        float mins = 0f;
        for (int i = 0; i < n; i += 256, a += 144) {
            float d = h(m, a), dmin = h(m, a + 2);
            long sa = m.get(I64_LE, a + 4);
            int ta = m.get(I32_LE, a + 12);
            int s0 = scaleMin(sa, ta, 0), s1 = scaleMin(sa, ta, 1), s2 = scaleMin(sa, ta, 2), s3 = scaleMin(sa, ta, 3);
            int s4 = scaleMin(sa, ta, 4), s5 = scaleMin(sa, ta, 5), s6 = scaleMin(sa, ta, 6), s7 = scaleMin(sa, ta, 7);
            int xi = i / 32;
            mins += dmin * ((s0 >> 8) * xb[xi] + (s1 >> 8) * xb[xi + 1] + (s2 >> 8) * xb[xi + 2] + (s3 >> 8) * xb[xi + 3]
                    + (s4 >> 8) * xb[xi + 4] + (s5 >> 8) * xb[xi + 5] + (s6 >> 8) * xb[xi + 6] + (s7 >> 8) * xb[xi + 7]);
            for (int g = 0; g < 4; g++) {
                long qa = a + 16 + 32 * g;
                int xo = i + 64 * g;
                ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(BX, m, qa, LE).convertShape(VectorOperators.B2S, SX, 0);
                ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(BX, m, qa + 16, LE).convertShape(VectorOperators.B2S, SX, 0);
                ShortVector pl = w0.and((short) 0x0f).mul(ShortVector.fromArray(SX, xq, xo))
                        .add(w1.and((short) 0x0f).mul(ShortVector.fromArray(SX, xq, xo + 16)));
                ShortVector ph = w0.lanewise(VectorOperators.LSHR, 4).and((short) 0x0f).mul(ShortVector.fromArray(SX, xq, xo + 32))
                        .add(w1.lanewise(VectorOperators.LSHR, 4).and((short) 0x0f).mul(ShortVector.fromArray(SX, xq, xo + 48)));
                IntVector v = pl.reinterpretAsInts(), u = ph.reinterpretAsInts();
                IntVector vl = v.lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                IntVector vh = u.lanewise(VectorOperators.ASHR, 16).add(u.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                int sl = g == 0 ? s0 : g == 1 ? s2 : g == 2 ? s4 : s6, sh = g == 0 ? s1 : g == 1 ? s3 : g == 2 ? s5 : s7;
                acc = ((FloatVector) vl.convertShape(VectorOperators.I2F, F, 0))
                        .fma(FloatVector.broadcast(F, d * (sl & 0xff) * xd[xi + 2 * g]), acc);
                acc2 = ((FloatVector) vh.convertShape(VectorOperators.I2F, F, 0))
                        .fma(FloatVector.broadcast(F, d * (sh & 0xff) * xd[xi + 2 * g + 1]), acc2);
            }
        }
        return VectorKernels.sum(acc.add(acc2)) - mins;
    }

    /** Q6_K rows [r0, r1) times the rounded activations: {@link #dotQ6Kx} row by row. */
    static void rowsQ6Kx(MemorySegment m, long rowBytes, short[] xq, float[] xd, int n, float[] out, int ob, int r0, int r1) {
        for (int r = r0; r < r1; r++) out[ob + r] = dotQ6Kx(m, r * rowBytes, xq, xd, n);
    }

    /**
     * Q6_K times the rounded activations: per half of 128 and 16 bytes at a time, the four 6-bit values of ql/qh
     * cut in 16-bit lanes and centred (−32..31), multiplied with the integers (16 products: one scale group each),
     * folded into 32-bit lanes and multiplied by the group's int8 scale; the two groups of a 32-element block added
     * as integers and scaled once by {@code d·xd}.
     */
    static float dotQ6Kx(MemorySegment m, long off, short[] xq, float[] xd, int n) {
        FloatVector acc1 = FloatVector.zero(F6), acc2 = acc1, acc3 = acc1, acc4 = acc1;
        long blk = off;
        for (int i = 0; i < n; i += 256, blk += 210) {
            float d = h(m, blk + 208);
            for (int half = 0; half < 2; half++) {
                long ql = blk + 64 * half, qh = blk + 128 + 32 * half;
                long sc = m.get(I64_LE, blk + 192 + 8 * half); // this half's 8 int8 scales
                int xb = i + 128 * half;
                IntVector i1 = IntVector.zero(I6), i2 = i1, i3 = i1, i4 = i1;
                for (int l = 0; l < 32; l += 16) {
                    ShortVector a = (ShortVector) ByteVector.fromMemorySegment(B6, m, ql + l, LE).convertShape(VectorOperators.B2S, S6, 0);
                    ShortVector c = (ShortVector) ByteVector.fromMemorySegment(B6, m, ql + l + 32, LE).convertShape(VectorOperators.B2S, S6, 0);
                    ShortVector hb = (ShortVector) ByteVector.fromMemorySegment(B6, m, qh + l, LE).convertShape(VectorOperators.B2S, S6, 0);
                    ShortVector q1 = a.and((short) 0x0f).or(hb.lanewise(VectorOperators.LSHL, 4).and((short) 0x30)).sub((short) 32);
                    ShortVector q2 = c.and((short) 0x0f).or(hb.lanewise(VectorOperators.LSHL, 2).and((short) 0x30)).sub((short) 32);
                    ShortVector q3 = a.lanewise(VectorOperators.LSHR, 4).and((short) 0x0f).or(hb.and((short) 0x30)).sub((short) 32);
                    ShortVector q4 = c.lanewise(VectorOperators.LSHR, 4).and((short) 0x0f).or(hb.lanewise(VectorOperators.LSHR, 2).and((short) 0x30)).sub((short) 32);
                    IntVector p1 = q1.mul(ShortVector.fromArray(S6, xq, xb + l)).reinterpretAsInts();
                    IntVector p2 = q2.mul(ShortVector.fromArray(S6, xq, xb + l + 32)).reinterpretAsInts();
                    IntVector p3 = q3.mul(ShortVector.fromArray(S6, xq, xb + l + 64)).reinterpretAsInts();
                    IntVector p4 = q4.mul(ShortVector.fromArray(S6, xq, xb + l + 96)).reinterpretAsInts();
                    int g = l >> 4; // scale bytes g, g + 2, g + 4, g + 6 of this half (signed)
                    i1 = p1.lanewise(VectorOperators.ASHR, 16).add(p1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                            .mul((byte) (sc >>> (8 * g))).add(i1);
                    i2 = p2.lanewise(VectorOperators.ASHR, 16).add(p2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                            .mul((byte) (sc >>> (8 * g + 16))).add(i2);
                    i3 = p3.lanewise(VectorOperators.ASHR, 16).add(p3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                            .mul((byte) (sc >>> (8 * g + 32))).add(i3);
                    i4 = p4.lanewise(VectorOperators.ASHR, 16).add(p4.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                            .mul((byte) (sc >>> (8 * g + 48))).add(i4);
                }
                int xi = xb / 32;
                acc1 = ((FloatVector) i1.convertShape(VectorOperators.I2F, F6, 0)).fma(FloatVector.broadcast(F6, d * xd[xi]), acc1);
                acc2 = ((FloatVector) i2.convertShape(VectorOperators.I2F, F6, 0)).fma(FloatVector.broadcast(F6, d * xd[xi + 1]), acc2);
                acc3 = ((FloatVector) i3.convertShape(VectorOperators.I2F, F6, 0)).fma(FloatVector.broadcast(F6, d * xd[xi + 2]), acc3);
                acc4 = ((FloatVector) i4.convertShape(VectorOperators.I2F, F6, 0)).fma(FloatVector.broadcast(F6, d * xd[xi + 3]), acc4);
            }
        }
        return sum6(acc1.add(acc2).add(acc3.add(acc4)));
    }

    // Q4_1, Q5_0 and Q5_1: as Q4_0 in VectorKernels (low nibbles are elements 0..15, high 16..31), the fifth bits
    // spread from the qh word through a table ({@link #fifthBits}); value = q·d + m (Q5_0: q − 16 in the byte lanes,
    // no m). One method per type with its constants written in: a generic version with run-time flags (and a vector
    // variable that could be null) measured several times slower.

    static float dotQ4_1(MemorySegment m, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F), mins = acc;
        long blk = off;
        for (int i = 0; i < n; i += 32, blk += 20) {
            FloatVector s = FloatVector.zero(F), xs = s;
            for (int q = 0; q < 16; q += P) {
                ByteVector b = ByteVector.fromMemorySegment(B, m, blk + 4 + q, LE);
                ByteVector lo = b.and((byte) 15), hi = shr(b, 4).and((byte) 15);
                int j = xo + i + q;
                FloatVector va = FloatVector.fromArray(F, x, j), vb = FloatVector.fromArray(F, x, j + 16);
                s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).fma(va, s);
                s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(vb, s);
                xs = xs.add(va).add(vb);
                if (PARTS == 2) {
                    va = FloatVector.fromArray(F, x, j + L);
                    vb = FloatVector.fromArray(F, x, j + 16 + L);
                    s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).fma(va, s);
                    s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).fma(vb, s);
                    xs = xs.add(va).add(vb);
                }
            }
            acc = s.fma(FloatVector.broadcast(F, h(m, blk)), acc);
            mins = xs.fma(FloatVector.broadcast(F, h(m, blk + 2)), mins);
        }
        return VectorKernels.sum(acc) + VectorKernels.sum(mins);
    }

    /** fb: 32 bytes of scratch for {@link #fifthBits}. */
    static float dotQ5_0(MemorySegment m, long off, float[] x, int xo, int n, byte[] fb) {
        FloatVector acc = FloatVector.zero(F);
        long blk = off;
        for (int i = 0; i < n; i += 32, blk += 22) {
            FloatVector s = FloatVector.zero(F);
            fifthBits(m.get(I32_LE, blk + 2), fb);
            for (int q = 0; q < 16; q += P) {
                ByteVector b = ByteVector.fromMemorySegment(B, m, blk + 6 + q, LE);
                ByteVector fl = ByteVector.fromArray(B, fb, q), fh = ByteVector.fromArray(B, fb, q + 16);
                ByteVector lo = b.and((byte) 15).or(fl).sub((byte) 16);
                ByteVector hi = shr(b, 4).and((byte) 15).or(fh).sub((byte) 16);
                int j = xo + i + q;
                FloatVector va = FloatVector.fromArray(F, x, j), vb = FloatVector.fromArray(F, x, j + 16);
                s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).fma(va, s);
                s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(vb, s);
                if (PARTS == 2) {
                    va = FloatVector.fromArray(F, x, j + L);
                    vb = FloatVector.fromArray(F, x, j + 16 + L);
                    s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).fma(va, s);
                    s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).fma(vb, s);
                }
            }
            acc = s.fma(FloatVector.broadcast(F, h(m, blk)), acc);
        }
        return VectorKernels.sum(acc);
    }

    /** fb: 32 bytes of scratch for {@link #fifthBits}. */
    static float dotQ5_1(MemorySegment m, long off, float[] x, int xo, int n, byte[] fb) {
        FloatVector acc = FloatVector.zero(F), mins = acc;
        long blk = off;
        for (int i = 0; i < n; i += 32, blk += 24) {
            FloatVector s = FloatVector.zero(F), xs = s;
            fifthBits(m.get(I32_LE, blk + 4), fb);
            for (int q = 0; q < 16; q += P) {
                ByteVector b = ByteVector.fromMemorySegment(B, m, blk + 8 + q, LE);
                ByteVector fl = ByteVector.fromArray(B, fb, q), fh = ByteVector.fromArray(B, fb, q + 16);
                ByteVector lo = b.and((byte) 15).or(fl);
                ByteVector hi = shr(b, 4).and((byte) 15).or(fh);
                int j = xo + i + q;
                FloatVector va = FloatVector.fromArray(F, x, j), vb = FloatVector.fromArray(F, x, j + 16);
                s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).fma(va, s);
                s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(vb, s);
                xs = xs.add(va).add(vb);
                if (PARTS == 2) {
                    va = FloatVector.fromArray(F, x, j + L);
                    vb = FloatVector.fromArray(F, x, j + 16 + L);
                    s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).fma(va, s);
                    s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).fma(vb, s);
                    xs = xs.add(va).add(vb);
                }
            }
            acc = s.fma(FloatVector.broadcast(F, h(m, blk)), acc);
            mins = xs.fma(FloatVector.broadcast(F, h(m, blk + 2)), mins);
        }
        return VectorKernels.sum(acc) + VectorKernels.sum(mins);
    }

}
