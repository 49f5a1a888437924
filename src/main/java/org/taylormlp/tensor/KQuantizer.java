package org.taylormlp.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Quantizers for the {@link KBlocks} block types, writing exactly the layouts ggml reads.
 *
 * <ul>
 *   <li>Q4_1, Q5_0, Q5_1: ggml's reference quantizers ({@code quantize_row_q4_1_ref} ...), same rounding.</li>
 *   <li>Q4_K / Q5_K: per sub-block of 32, min = min(0, min x) and scale = (max − min) / (2^bits − 1); the eight
 *       scales and mins are quantized to 6 bits against the super-block's largest ({@code d = maxScale/63},
 *       {@code dmin = maxMin/63}), then each value rounded against its sub-block's quantized scale and min.
 *       Simpler than ggml's (no iterative search for the best scale), so the values differ from llama-quantize's
 *       output, but any ggml reader decodes the blocks as written.</li>
 *   <li>Q6_K: per group of 16, scale = (value of largest magnitude) / −32; the sixteen scales quantized to int8
 *       against the largest ({@code d = maxScale / −128}), then values rounded to −32..31, as ggml's reference
 *       without its weighted scale search.</li>
 * </ul>
 */
public final class KQuantizer {
    private KQuantizer() {}

    private static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;

    /** Quantizes {@code n} floats (whole blocks of {@code t}) from {@code x[off..]} to {@code dst[dstOff..]}. */
    public static void quantizeRow(DType t, float[] x, int off, int n, MemorySegment dst, long dstOff) {
        if (n % t.blockSize() != 0) throw new IllegalArgumentException(t + " needs whole blocks of " + t.blockSize() + ", got " + n);
        for (int b = 0; b < n / t.blockSize(); b++) {
            int base = off + b * t.blockSize();
            long o = dstOff + (long) b * t.blockBytes();
            switch (t) {
                case Q4_1 -> q4_1(x, base, dst, o);
                case Q5_0 -> q5_0(x, base, dst, o);
                case Q5_1 -> q5_1(x, base, dst, o);
                case Q4_K -> qK(x, base, dst, o, false);
                case Q5_K -> qK(x, base, dst, o, true);
                case Q6_K -> q6K(x, base, dst, o);
                default -> throw new IllegalArgumentException(t + " is not a KQuantizer type");
            }
        }
    }

    private static void half(MemorySegment dst, long o, float v) {
        dst.set(Tensor.I16_LE, o, Float.floatToFloat16(v));
    }

    private static void q4_1(float[] x, int base, MemorySegment dst, long o) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[base + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 15;
        float id = d != 0f ? 1f / d : 0f;
        half(dst, o, d);
        half(dst, o + 2, min);
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (byte) (int) ((x[base + j] - min) * id + 0.5f)) & 0xff;
            int q1 = Math.min(15, (byte) (int) ((x[base + 16 + j] - min) * id + 0.5f)) & 0xff;
            dst.set(U8, o + 4 + j, (byte) (q0 | (q1 << 4)));
        }
    }

    private static void q5_0(float[] x, int base, MemorySegment dst, long o) {
        float amax = 0f, max = 0f;
        for (int j = 0; j < 32; j++) {
            float v = x[base + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -16f;
        float id = d != 0f ? 1f / d : 0f;
        half(dst, o, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(31, (byte) (int) (x[base + j] * id + 16.5f)) & 0xff;
            int q1 = Math.min(31, (byte) (int) (x[base + 16 + j] * id + 16.5f)) & 0xff;
            dst.set(U8, o + 6 + j, (byte) ((q0 & 15) | ((q1 & 15) << 4)));
            qh |= ((q0 & 0x10) >> 4) << j;
            qh |= ((q1 & 0x10) >> 4) << (j + 16);
        }
        dst.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), o + 2, qh);
    }

    private static void q5_1(float[] x, int base, MemorySegment dst, long o) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[base + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 31;
        float id = d != 0f ? 1f / d : 0f;
        half(dst, o, d);
        half(dst, o + 2, min);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = ((int) ((x[base + j] - min) * id + 0.5f)) & 0xff;
            int q1 = ((int) ((x[base + 16 + j] - min) * id + 0.5f)) & 0xff;
            dst.set(U8, o + 8 + j, (byte) ((q0 & 15) | ((q1 & 15) << 4)));
            qh |= ((q0 & 0x10) >> 4) << j;
            qh |= ((q1 & 0x10) >> 4) << (j + 16);
        }
        dst.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), o + 4, qh);
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private static int nearest(float v) {
        return (int) Math.rint(v);
    }

    /** Q4_K (five = false) or Q5_K: 256 values at x[base..]. */
    private static void qK(float[] x, int base, MemorySegment dst, long o, boolean five) {
        int nmax = five ? 31 : 15;
        float[] scale = new float[8], minv = new float[8];
        float maxScale = 0f, maxMin = 0f;
        for (int s = 0; s < 8; s++) {
            float mn = 0f, mx = -Float.MAX_VALUE;
            for (int l = 0; l < 32; l++) {
                float v = x[base + 32 * s + l];
                if (v < mn) mn = v;
                if (v > mx) mx = v;
            }
            if (!(mx > mn)) mx = mn; // all equal (or non-finite): scale 0
            scale[s] = (mx - mn) / nmax;
            minv[s] = -mn;
            if (scale[s] > maxScale) maxScale = scale[s];
            if (minv[s] > maxMin) maxMin = minv[s];
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f, invMin = maxMin > 0 ? 63f / maxMin : 0f;
        int[] ls = new int[8], lm = new int[8];
        for (int s = 0; s < 8; s++) {
            ls[s] = Math.min(63, nearest(invScale * scale[s]));
            lm[s] = Math.min(63, nearest(invMin * minv[s]));
        }
        short dBits = Float.floatToFloat16(maxScale / 63f), mBits = Float.floatToFloat16(maxMin / 63f);
        dst.set(Tensor.I16_LE, o, dBits);
        dst.set(Tensor.I16_LE, o + 2, mBits);
        byte[] sc = new byte[12];
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                sc[j] = (byte) ls[j];
                sc[j + 4] = (byte) lm[j];
            } else {
                sc[j + 4] = (byte) ((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
                sc[j - 4] |= (byte) ((ls[j] >> 4) << 6);
                sc[j] |= (byte) ((lm[j] >> 4) << 6);
            }
        }
        for (int j = 0; j < 12; j++) dst.set(U8, o + 4 + j, sc[j]);
        float d = Float.float16ToFloat(dBits), dmin = Float.float16ToFloat(mBits);
        int[] q = new int[256];
        for (int s = 0; s < 8; s++) {
            float dd = d * ls[s], dm = dmin * lm[s];
            for (int l = 0; l < 32; l++) {
                int e = 32 * s + l;
                q[e] = dd == 0f ? 0 : clamp(nearest((x[base + e] + dm) / dd), 0, nmax);
            }
        }
        long qs = o + (five ? 48 : 16);
        if (five) for (int l = 0; l < 32; l++) dst.set(U8, o + 16 + l, (byte) 0);
        for (int g = 0; g < 4; g++) {
            for (int l = 0; l < 32; l++) {
                int lo = q[64 * g + l], hi = q[64 * g + 32 + l];
                dst.set(U8, qs + 32 * g + l, (byte) ((lo & 15) | ((hi & 15) << 4)));
                if (five) {
                    int h = dst.get(U8, o + 16 + l) & 0xff;
                    h |= ((lo >> 4) & 1) << (2 * g);
                    h |= ((hi >> 4) & 1) << (2 * g + 1);
                    dst.set(U8, o + 16 + l, (byte) h);
                }
            }
        }
    }

    private static void q6K(float[] x, int base, MemorySegment dst, long o) {
        float[] scale = new float[16];
        float maxScale = 0f, maxAbs = 0f;
        for (int g = 0; g < 16; g++) {
            float amax = 0f, max = 0f;
            for (int l = 0; l < 16; l++) {
                float v = x[base + 16 * g + l];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            scale[g] = max / -32f;
            if (Math.abs(scale[g]) > maxAbs) {
                maxAbs = Math.abs(scale[g]);
                maxScale = scale[g];
            }
        }
        int[] q = new int[256];
        if (maxAbs == 0f) {
            for (int j = 0; j < 210; j++) dst.set(U8, o + j, (byte) 0);
            java.util.Arrays.fill(q, 32);
        } else {
            float iscale = -128f / maxScale;
            short dBits = Float.floatToFloat16(1f / iscale);
            dst.set(Tensor.I16_LE, o + 208, dBits);
            float d = Float.float16ToFloat(dBits);
            for (int g = 0; g < 16; g++) {
                int sc = Math.min(127, nearest(iscale * scale[g]));
                dst.set(U8, o + 192 + g, (byte) sc);
                float dd = d * sc;
                for (int l = 0; l < 16; l++) {
                    int e = 16 * g + l;
                    q[e] = dd == 0f ? 32 : clamp(nearest(x[base + e] / dd), -32, 31) + 32;
                }
            }
        }
        for (int hlf = 0; hlf < 2; hlf++) {
            for (int l = 0; l < 32; l++) {
                int e = 128 * hlf + l;
                int q1 = q[e], q2 = q[e + 32], q3 = q[e + 64], q4 = q[e + 96];
                dst.set(U8, o + 64 * hlf + l, (byte) ((q1 & 15) | ((q3 & 15) << 4)));
                dst.set(U8, o + 64 * hlf + l + 32, (byte) ((q2 & 15) | ((q4 & 15) << 4)));
                dst.set(U8, o + 128 + 32 * hlf + l, (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6)));
            }
        }
    }
}
