package org.taylormlp.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The ggml block types beyond Q8_0/Q4_0 that GGUF files from model hubs use: the legacy 32-element blocks Q4_1,
 * Q5_0 and Q5_1 (llama.cpp's quantizer writes them where a tensor's rows are not whole 256-element super-blocks)
 * and the K-quants Q4_K, Q5_K and Q6_K (Q4_K_M / Q5_K_M files mix them with Q6_K, Q8_0 and F32).
 *
 * <p>Block layouts (ggml-common.h), all little-endian:
 * <ul>
 *   <li>Q4_1 (20 bytes / 32): f16 d, f16 m, qs[16]; element j &lt; 16 is the low nibble of qs[j], j + 16 its high
 *       nibble; value = q·d + m.</li>
 *   <li>Q5_0 (22 bytes / 32): f16 d, qh[4] (a 32-bit word, bit j = fifth bit of element j), qs[16] as Q4_1;
 *       value = (q − 16)·d.</li>
 *   <li>Q5_1 (24 bytes / 32): f16 d, f16 m, qh[4], qs[16]; value = q·d + m.</li>
 *   <li>Q4_K (144 bytes / 256): f16 d, f16 dmin, scales[12], qs[128]. Eight sub-blocks of 32 with a 6-bit scale
 *       and a 6-bit min each ({@link #scaleMin}); the super-block is four groups of 64 elements, group g reading
 *       qs[32g .. 32g+32): low nibbles are sub-block 2g, high nibbles sub-block 2g+1. Value = (d·sc)·q − dmin·m.</li>
 *   <li>Q5_K (176 bytes / 256): f16 d, f16 dmin, scales[12], qh[32], qs[128]; as Q4_K with the fifth bit of element
 *       l of sub-block s in bit s of qh[l].</li>
 *   <li>Q6_K (210 bytes / 256): ql[128], qh[64], int8 scales[16], f16 d. Two halves of 128; in half h, for
 *       l &lt; 32: elements l, l+32, l+64, l+96 are the low nibbles of ql[64h+l], ql[64h+l+32] and the high nibbles
 *       of the same two bytes, with bits 0-1, 2-3, 4-5, 6-7 of qh[32h+l] above them, minus 32; element group of 16
 *       e has scale scales[e / 16]. Value = (d·sc)·q.</li>
 * </ul>
 * {@link #get}, {@link #read} and {@link #dequantizeBlock} compute each value with the float operations, in the order,
 * of ggml's {@code dequantize_row_*} reference functions (no fused multiply-add; a ggml build that contracts
 * {@code a*b - c} into an FMA can differ from it in the last bit).
 *
 * <p>Plain Java, no Vector API: {@link Tensor#read} and the scalar kernels decode through this class, and they must
 * run on a JVM without the {@code jdk.incubator.vector} module. The vector kernels are {@link KQuants}.
 */
final class KBlocks {
    private KBlocks() {}

    static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    static float h(MemorySegment m, long off) {
        return Float.float16ToFloat(m.get(Tensor.I16_LE, off));
    }

    static int u8(MemorySegment m, long off) {
        return m.get(U8, off) & 0xff;
    }

    /**
     * ggml's get_scale_min_k4: the 6-bit scale (low 8 bits of the result) and min (bits 8..15) of sub-block j, from
     * the 12 scale bytes read as a little-endian long (bytes 0-7) and int (bytes 8-11). The decode kernels read those
     * once per row and super-block; the two overloads below read them for one sub-block.
     */
    static int scaleMin(long s, int t, int j) {
        int d, mn;
        if (j < 4) {
            d = (int) (s >>> (8 * j)) & 63;
            mn = (int) (s >>> (8 * j + 32)) & 63;
        } else {
            int e = (t >>> (8 * (j - 4))) & 0xff;
            d = (e & 0xF) | ((int) (s >>> (8 * (j - 4) + 6)) & 3) << 4;
            mn = (e >>> 4) | ((int) (s >>> (8 * j + 6)) & 3) << 4;
        }
        return d | (mn << 8);
    }

    /** {@link #scaleMin(long, int, int)} of the scale bytes at {@code scales}. */
    static int scaleMin(MemorySegment m, long scales, int j) {
        return scaleMin(m.get(I64_LE, scales), m.get(I32_LE, scales + 8), j);
    }



    /** Element {@code i} (flat index) of a tensor of type {@code t}, exactly as ggml's dequantize_row_*. */
    static float get(DType t, MemorySegment m, long i) {
        long blk = (i / t.blockSize()) * t.blockBytes();
        int e = (int) (i % t.blockSize());
        switch (t) {
            case Q4_1, Q5_0, Q5_1 -> {
                long qs = blk + (t == DType.Q4_1 ? 4 : t == DType.Q5_0 ? 6 : 8);
                int b = u8(m, qs + (e & 15));
                int q = e < 16 ? b & 15 : b >> 4;
                if (t != DType.Q4_1) {
                    long qhOff = blk + (t == DType.Q5_0 ? 2 : 4);
                    q |= ((u8(m, qhOff + (e >> 3)) >> (e & 7)) & 1) << 4;
                }
                float d = h(m, blk);
                if (t == DType.Q5_0) return (q - 16) * d;
                return q * d + h(m, blk + 2);
            }
            case Q4_K, Q5_K -> {
                int g = e >> 6, hi = (e >> 5) & 1, l = e & 31, s = 2 * g + hi;
                long qs = blk + (t == DType.Q4_K ? 16 : 48);
                int b = u8(m, qs + 32 * g + l);
                int q = hi == 0 ? b & 15 : b >> 4;
                if (t == DType.Q5_K && ((u8(m, blk + 16 + l) >> s) & 1) != 0) q += 16;
                int sm = scaleMin(m, blk + 4, s);
                float d1 = h(m, blk) * (sm & 0xff), m1 = h(m, blk + 2) * (sm >> 8);
                return d1 * q - m1;
            }
            case Q6_K -> {
                int half = e >> 7, r = e & 127, g = r >> 5, l = r & 31;
                int b = u8(m, blk + 64 * half + l + ((g & 1) == 1 ? 32 : 0));
                int lo = g < 2 ? b & 15 : b >> 4;
                int hb = (u8(m, blk + 128 + 32 * half + l) >> (2 * g)) & 3;
                int q = (lo | (hb << 4)) - 32;
                int sc = m.get(U8, blk + 192 + 8 * half + (l >> 4) + 2 * g);
                return h(m, blk + 208) * sc * q;
            }
            default -> throw new IllegalArgumentException(t + " is not a KBlocks type");
        }
    }

    /**
     * Dequantizes {@code n} elements from flat index {@code start} into {@code dst[off..]}; whole blocks are decoded
     * at once (the values of {@link #get}).
     */
    static void read(DType t, MemorySegment m, long start, float[] dst, int off, int n) {
        int bs = t.blockSize(), bb = t.blockBytes();
        byte[] raw = new byte[bb];
        float[] blk = null;
        long end = start + n;
        for (long i = start; i < end; ) {
            long b = i / bs;
            int e0 = (int) (i - b * bs);
            int cnt = (int) Math.min(bs - e0, end - i);
            MemorySegment.copy(m, U8, b * bb, raw, 0, bb);
            if (e0 == 0 && cnt == bs) {
                dequantizeBlock(t, raw, 0, dst, off + (int) (i - start));
            } else {
                if (blk == null) blk = new float[bs];
                dequantizeBlock(t, raw, 0, blk, 0);
                System.arraycopy(blk, e0, dst, off + (int) (i - start), cnt);
            }
            i += cnt;
        }
    }

    private static float h(byte[] b, int o) {
        return Float.float16ToFloat((short) ((b[o] & 0xff) | (b[o + 1] << 8)));
    }

    /** ggml's get_scale_min_k4 on a byte array: scale (low 8 bits) and min (bits 8..15) of sub-block j. */
    private static int scaleMin(byte[] b, int scales, int j) {
        return scaleMin((long) LONGS.get(b, scales), (int) INTS.get(b, scales + 8), j);
    }

    /**
     * One block held in {@code b[o ..]} into {@code y[yo .. yo + blockSize)}, in the order of ggml's loops (arrays,
     * not segment accesses: this is the unpacking loop of prompt processing).
     */
    static void dequantizeBlock(DType t, byte[] b, int o, float[] y, int yo) {
        switch (t) {
            case Q4_1, Q5_0, Q5_1 -> {
                float d = h(b, o);
                float mn = t == DType.Q5_0 ? 0f : h(b, o + 2);
                int qs = o + (t == DType.Q4_1 ? 4 : t == DType.Q5_0 ? 6 : 8);
                int qo = o + (t == DType.Q5_0 ? 2 : 4);
                int qh = t == DType.Q4_1 ? 0
                        : (b[qo] & 0xff) | (b[qo + 1] & 0xff) << 8 | (b[qo + 2] & 0xff) << 16 | (b[qo + 3] & 0xff) << 24;
                for (int j = 0; j < 16; j++) {
                    int v = b[qs + j] & 0xff;
                    int x0 = (v & 15) | (((qh >>> j) << 4) & 0x10);
                    int x1 = (v >> 4) | ((qh >>> (j + 12)) & 0x10);
                    if (t == DType.Q5_0) {
                        y[yo + j] = (x0 - 16) * d;
                        y[yo + j + 16] = (x1 - 16) * d;
                    } else {
                        y[yo + j] = x0 * d + mn;
                        y[yo + j + 16] = x1 * d + mn;
                    }
                }
            }
            case Q4_K, Q5_K -> {
                float d = h(b, o), min = h(b, o + 2);
                int qs = o + (t == DType.Q4_K ? 16 : 48), qh = o + 16;
                boolean five = t == DType.Q5_K;
                int k = yo;
                for (int g = 0; g < 4; g++) {
                    int sm0 = scaleMin(b, o + 4, 2 * g), sm1 = scaleMin(b, o + 4, 2 * g + 1);
                    float d1 = d * (sm0 & 0xff), m1 = min * (sm0 >> 8);
                    float d2 = d * (sm1 & 0xff), m2 = min * (sm1 >> 8);
                    int u1 = 1 << (2 * g), u2 = 2 << (2 * g);
                    for (int l = 0; l < 32; l++) {
                        int q = b[qs + 32 * g + l] & 15;
                        if (five && (b[qh + l] & u1) != 0) q += 16;
                        y[k++] = d1 * q - m1;
                    }
                    for (int l = 0; l < 32; l++) {
                        int q = (b[qs + 32 * g + l] & 0xff) >> 4;
                        if (five && (b[qh + l] & u2) != 0) q += 16;
                        y[k++] = d2 * q - m2;
                    }
                }
            }
            case Q6_K -> {
                float d = h(b, o + 208);
                for (int half = 0; half < 2; half++) {
                    int ql = o + 64 * half, qh = o + 128 + 32 * half, sc = o + 192 + 8 * half;
                    int yb = yo + 128 * half;
                    for (int l = 0; l < 32; l++) {
                        int is = l / 16;
                        int a = b[ql + l] & 0xff, c = b[ql + l + 32] & 0xff, hb = b[qh + l] & 0xff;
                        int q1 = ((a & 15) | ((hb & 3) << 4)) - 32;
                        int q2 = ((c & 15) | (((hb >> 2) & 3) << 4)) - 32;
                        int q3 = ((a >> 4) | (((hb >> 4) & 3) << 4)) - 32;
                        int q4 = ((c >> 4) | (((hb >> 6) & 3) << 4)) - 32;
                        y[yb + l] = d * b[sc + is] * q1;
                        y[yb + l + 32] = d * b[sc + is + 2] * q2;
                        y[yb + l + 64] = d * b[sc + is + 4] * q3;
                        y[yb + l + 96] = d * b[sc + is + 6] * q4;
                    }
                }
            }
            default -> throw new IllegalArgumentException(t + " is not a KBlocks type");
        }
    }

    /**
     * {@code blocks} Q5_0 blocks of {@code src} as Q8_0 blocks into {@code dst}, value for value: the f16 scale
     * copied bit for bit, each 5-bit {@code q} (low nibble from qs, fifth bit from qh) stored as the int8
     * {@code q − 16}, so ggml's {@code d · (q − 16)} and Q8_0's {@code d · int8} are the same float.
     */
    static void q5_0ToQ8_0(MemorySegment src, MemorySegment dst, long blocks) {
        for (long b = 0; b < blocks; b++) {
            long s = b * 22, d = b * 34;
            dst.set(Tensor.I16_LE, d, src.get(Tensor.I16_LE, s));
            int qh = src.get(I32_LE, s + 2);
            for (int j = 0; j < 16; j++) {
                int q = u8(src, s + 6 + j);
                dst.set(ValueLayout.JAVA_BYTE, d + 2 + j, (byte) (((q & 15) | ((qh >>> j) & 1) << 4) - 16));
                dst.set(ValueLayout.JAVA_BYTE, d + 18 + j, (byte) (((q >>> 4) | ((qh >>> (j + 16)) & 1) << 4) - 16));
            }
        }
    }
}
