package org.taylormlp.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The K-quant and legacy block types ({@link KQuants}, {@link KQuantizer}): blocks packed here from chosen integer
 * quants and scales, following ggml-common.h's layout, must decode to exactly {@code scale·q − min} through
 * {@link Tensor#get} (element by element) and {@link Tensor#read} (whole blocks in ggml's loop order); the vector
 * dot products must agree with the dequantized weights; the quantizers must round-trip within their step size.
 */
class KQuantsTest {
    static final DType[] TYPES = {DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q4_K, DType.Q5_K, DType.Q6_K};

    /** A block of {@code t} with random quants/scales, and the values it must decode to (computed here). */
    record Block(byte[] bytes, float[] values) {}

    static void half(byte[] b, int off, float v) {
        short h = Float.floatToFloat16(v);
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    static Block block(DType t, Random rnd) {
        byte[] b = new byte[t.blockBytes()];
        float[] v = new float[t.blockSize()];
        float d = Float.float16ToFloat(Float.floatToFloat16((float) (rnd.nextDouble() * 0.1 + 0.001)));
        float mn = Float.float16ToFloat(Float.floatToFloat16((float) (rnd.nextDouble() * 0.05)));
        switch (t) {
            case Q4_1, Q5_0, Q5_1 -> {
                boolean five = t != DType.Q4_1;
                int qs = t == DType.Q4_1 ? 4 : t == DType.Q5_0 ? 6 : 8, qh = t == DType.Q5_0 ? 2 : 4;
                half(b, 0, d);
                if (t != DType.Q5_0) half(b, 2, mn);
                for (int e = 0; e < 32; e++) {
                    int q = rnd.nextInt(five ? 32 : 16);
                    b[qs + (e & 15)] |= (byte) ((q & 15) << (e < 16 ? 0 : 4));
                    if (five) b[qh + e / 8] |= (byte) (((q >> 4) & 1) << (e % 8)); // bit e of a little-endian u32
                    v[e] = t == DType.Q5_0 ? (q - 16) * d : q * d + mn;
                }
            }
            case Q4_K, Q5_K -> {
                boolean five = t == DType.Q5_K;
                half(b, 0, d);
                half(b, 2, mn);
                int[] sc = new int[8], m = new int[8];
                for (int s = 0; s < 8; s++) {
                    sc[s] = rnd.nextInt(64);
                    m[s] = rnd.nextInt(64);
                }
                // 6-bit scales/mins: sub-blocks 0-3 in the low 6 bits of bytes 0-3 (scales) and 4-7 (mins);
                // 4-7: low 4 bits in bytes 8-11 (scale low nibble, min high nibble), top 2 bits in the top bits of
                // bytes 0-3 (scales) and 4-7 (mins)
                for (int s = 0; s < 4; s++) {
                    b[4 + s] = (byte) (sc[s] | ((sc[s + 4] >> 4) << 6));
                    b[4 + 4 + s] = (byte) (m[s] | ((m[s + 4] >> 4) << 6));
                    b[4 + 8 + s] = (byte) ((sc[s + 4] & 15) | ((m[s + 4] & 15) << 4));
                }
                int qs = five ? 48 : 16;
                for (int e = 0; e < 256; e++) {
                    int s = e / 32, l = e % 32, g = e / 64;
                    int q = rnd.nextInt(five ? 32 : 16);
                    b[qs + 32 * g + l] |= (byte) ((q & 15) << ((s & 1) == 0 ? 0 : 4));
                    if (five) b[16 + l] |= (byte) (((q >> 4) & 1) << s);
                    float d1 = d * sc[s], m1 = mn * m[s];
                    v[e] = d1 * q - m1;
                }
            }
            case Q6_K -> {
                half(b, 208, d);
                int[] sc = new int[16];
                for (int g = 0; g < 16; g++) {
                    sc[g] = rnd.nextInt(256) - 128;
                    b[192 + g] = (byte) sc[g];
                }
                for (int e = 0; e < 256; e++) {
                    int h = e / 128, r = e % 128, quarter = r / 32, l = r % 32;
                    int q = rnd.nextInt(64);
                    // quarters 0/1: low nibbles of ql[l] / ql[l+32]; 2/3: their high nibbles; top 2 bits in qh[l]
                    int qlIndex = 64 * h + l + (quarter % 2 == 1 ? 32 : 0);
                    b[qlIndex] |= (byte) ((q & 15) << (quarter >= 2 ? 4 : 0));
                    b[128 + 32 * h + l] |= (byte) ((q >> 4) << (2 * quarter));
                    v[e] = d * sc[e / 16] * (q - 32);
                }
            }
            default -> throw new AssertionError(t);
        }
        return new Block(b, v);
    }

    static Tensor tensorOf(DType t, byte[] bytes, int rows, int cols) {
        MemorySegment seg = Arena.ofAuto().allocate(bytes.length + 3L, 64).asSlice(3, bytes.length); // unaligned
        MemorySegment.copy(bytes, 0, seg, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return new Tensor("w", t, new long[] {rows, cols}, seg);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void handPackedBlocksDecodeToTheirValues(DType t) {
        Random rnd = new Random(17 + t.ordinal());
        int blocks = 6, n = blocks * t.blockSize();
        byte[] all = new byte[blocks * t.blockBytes()];
        float[] expect = new float[n];
        for (int k = 0; k < blocks; k++) {
            Block b = block(t, rnd);
            System.arraycopy(b.bytes(), 0, all, k * t.blockBytes(), t.blockBytes());
            System.arraycopy(b.values(), 0, expect, k * t.blockSize(), t.blockSize());
        }
        Tensor w = tensorOf(t, all, 2, n / 2);
        for (int i = 0; i < n; i++) assertThat(w.get(i)).as("%s element %d", t, i).isEqualTo(expect[i]);
        float[] got = new float[n];
        w.read(0, got, 0, n);
        assertThat(got).containsExactly(expect);
        // a read that starts and ends inside blocks
        float[] part = new float[n - 50];
        w.read(17, part, 0, n - 50);
        for (int i = 0; i < part.length; i++) assertThat(part[i]).isEqualTo(expect[17 + i]);
        // embedding rows through the vector kernels' path
        VectorKernels k = new VectorKernels(1);
        try {
            float[] row = new float[n / 2];
            k.embedding(w, 1, row);
            for (int i = 0; i < row.length; i++) assertThat(row[i]).isEqualTo(expect[n / 2 + i]);
        } finally {
            k.pool().close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void vectorDotProductsMatchTheDequantizedWeights(DType t) {
        Random rnd = new Random(5 + t.ordinal());
        int rows = 9, cols = 4 * 256;
        int per = cols / t.blockSize();
        byte[] all = new byte[rows * per * t.blockBytes()];
        for (int k = 0; k < rows * per; k++) System.arraycopy(block(t, rnd).bytes(), 0, all, k * t.blockBytes(), t.blockBytes());
        Tensor w = tensorOf(t, all, rows, cols);
        float[] x = TestTensors.gaussian(rnd, cols, 1.0);
        VectorKernels k1 = new VectorKernels(1), k2 = new VectorKernels(2, 1, 1);
        try {
            float[] v1 = new float[rows], v2 = new float[rows], s = new float[rows];
            k1.matvec(w, x, v1);
            k2.matvec(w, x, v2);
            ScalarKernels.INSTANCE.matvec(w, x, 0, s, 0, 0, rows);
            assertThat(v2).containsExactly(v1);
            for (int r = 0; r < rows; r++) {
                double[] truth = TestTensors.truth(w, x, 0, r);
                // the kernel sums per sub-block (≤ 32 terms) and then ≤ 64 sub-block terms (plus the mins): a bound
                // of a few hundred roundings of the absolute sum
                double tol = 256 * 0x1p-24 * truth[1] + 1e-6;
                assertThat((double) v1[r]).as("%s row %d", t, r).isCloseTo(truth[0], org.assertj.core.data.Offset.offset(tol));
                assertThat((double) s[r]).isCloseTo(truth[0], org.assertj.core.data.Offset.offset(tol * 4));
            }
            // a batch (prompt) product: the weights unpacked exactly (so within the same bound of the exact sum),
            // and the same bits on 1 and 2 threads
            int batch = 6;
            float[] xs = TestTensors.gaussian(rnd, batch * cols, 1.0), out = new float[batch * rows], out1 = new float[batch * rows];
            k2.matmul(w, xs, batch, out);
            k1.matmul(w, xs, batch, out1);
            assertThat(out).containsExactly(out1);
            for (int b = 0; b < batch; b++) {
                for (int r = 0; r < rows; r++) {
                    double[] truth = TestTensors.truth(w, xs, b * cols, r);
                    double tol = TestTensors.bound(cols + cols / 512 + 2, truth[1]);
                    assertThat((double) out[b * rows + r]).as("%s batch row %d token %d", t, r, b)
                            .isCloseTo(truth[0], org.assertj.core.data.Offset.offset(tol));
                }
            }
        } finally {
            k1.pool().close();
            k2.pool().close();
        }
    }

    /**
     * The vector kernels compute Q5_0 weights as Q8_0 ({@link VectorKernels#prepare}): every value the same float bit
     * for bit (hand-packed blocks, blocks of raw random bytes whose f16 scales include subnormals, infinities and
     * NaNs), the same name and shape, products within the bound of the exact sum; other types and the scalar
     * kernels keep the tensor itself.
     */
    @Test
    void q5_0WeightsArePreparedAsQ8_0WithTheSameValues() {
        Random rnd = new Random(71);
        int rows = 6, cols = 3 * 32 * 4, per = cols / 32;
        byte[] all = new byte[rows * per * 22];
        for (int k = 0; k < rows * per; k++) {
            byte[] b = k % 3 == 2 ? new byte[22] : block(DType.Q5_0, rnd).bytes();
            if (k % 3 == 2) rnd.nextBytes(b);
            System.arraycopy(b, 0, all, k * 22, 22);
        }
        all[2 * 22] = 0; all[2 * 22 + 1] = (byte) 0x7c;               // +Inf scale
        all[5 * 22] = 1; all[5 * 22 + 1] = (byte) 0xfe;               // NaN scale
        all[8 * 22] = 3; all[8 * 22 + 1] = 0;                         // subnormal scale
        Tensor w = tensorOf(DType.Q5_0, all, rows, cols);
        VectorKernels k = new VectorKernels(1);
        try {
            Tensor p = k.prepare(w);
            assertThat(p.dtype()).isEqualTo(DType.Q8_0);
            assertThat(p.name()).isEqualTo(w.name());
            assertThat(p.shape()).containsExactly(w.shape());
            float[] a = new float[rows * cols], b = new float[rows * cols];
            w.read(0, a, 0, a.length);
            p.read(0, b, 0, b.length);
            for (int i = 0; i < a.length; i++) {
                assertThat(Float.floatToIntBits(b[i])).as("element %d", i).isEqualTo(Float.floatToIntBits(a[i]));
            }
            // products over the finite rows (rows 0, 1 hold the Inf and NaN scales)
            float[] x = TestTensors.gaussian(rnd, cols, 1.0), out = new float[rows];
            k.matvec(p, x, out);
            for (int r = 2; r < rows; r++) {
                double[] truth = TestTensors.truth(w, x, 0, r);
                assertThat((double) out[r]).as("row %d", r)
                        .isCloseTo(truth[0], org.assertj.core.data.Offset.offset(256 * 0x1p-24 * truth[1] + 1e-6));
            }
            Tensor q4k = tensorOf(DType.Q4_K, block(DType.Q4_K, rnd).bytes(), 1, 256);
            assertThat(k.prepare(q4k)).isSameAs(q4k);
            assertThat(ScalarKernels.INSTANCE.prepare(w)).isSameAs(w);
        } finally {
            k.pool().close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void quantizerRoundTripsWithinItsStep(DType t) {
        Random rnd = new Random(99 + t.ordinal());
        int rows = 4, cols = 512;
        float[] x = TestTensors.gaussian(rnd, rows * cols, 0.02);
        x[3] = 0f;
        x[700] = 0.3f; // an outlier
        Tensor q = Quantize.quantize(Tensor.ofFloats("w", x, rows, cols), t);
        assertThat(q.dtype()).isEqualTo(t);
        assertThat(q.byteSize()).isEqualTo(t.bytesFor((long) rows * cols));
        float[] y = Quantize.dequantize(q).toFloats();
        // per group of 32 (the K-quants' sub-block): error at most about one step of range/(levels-1), widened
        // for the 6-bit quantization of the scales and mins
        int levels = switch (t) {
            case Q4_1, Q4_K -> 16;
            case Q5_0, Q5_1, Q5_K -> 32;
            case Q6_K -> 64;
            default -> throw new AssertionError(t);
        };
        double sumSq = 0, errSq = 0;
        for (int g = 0; g < x.length / 32; g++) {
            float lo = 0, hi = 0, amax = 0;
            for (int j = 0; j < 32; j++) {
                float v = x[32 * g + j];
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
                amax = Math.max(amax, Math.abs(v));
            }
            double step = Math.max(hi - lo, 2 * amax) / (levels - 1);
            for (int j = 0; j < 32; j++) {
                int i = 32 * g + j;
                assertThat((double) Math.abs(x[i] - y[i])).as("%s element %d: %s -> %s", t, i, x[i], y[i])
                        .isLessThanOrEqualTo(1.5 * step + 1e-6);
                sumSq += (double) x[i] * x[i];
                errSq += (double) (x[i] - y[i]) * (x[i] - y[i]);
            }
        }
        double rel = Math.sqrt(errSq / sumSq);
        double limit = switch (levels) { case 16 -> 0.15; case 32 -> 0.075; default -> 0.04; };
        assertThat(rel).as("%s relative RMS error", t).isLessThan(limit);
    }

    @Test
    void zeroRowsQuantizeToZero() {
        for (DType t : TYPES) {
            Tensor q = Quantize.quantize(Tensor.ofFloats("w", new float[512], 2, 256), t);
            for (int i = 0; i < 512; i++) assertThat(Math.abs(q.get(i))).as("%s", t).isZero();
        }
    }
}
