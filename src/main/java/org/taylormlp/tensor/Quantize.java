package org.taylormlp.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Conversion of tensors between {@link DType}s with ggml's exact rounding, so that a tensor quantized here is
 * bit-identical to what ggml's reference quantizers ({@code quantize_row_q8_0_ref}, {@code quantize_row_q4_0_ref},
 * {@code ggml_compute_fp32_to_bf16}, F16C conversion) produce from the same floats.
 *
 * <ul>
 *   <li>F16: IEEE round-to-nearest-even ({@link Float#floatToFloat16}).</li>
 *   <li>BF16: round-to-nearest-even on the top 16 bits; NaNs are kept NaN and made quiet (bit 6 set).</li>
 *   <li>Q8_0, per block of 32: {@code amax = max|x|}, {@code d = amax/127}, {@code id = d != 0 ? 1/d : 0},
 *       {@code q = roundf(x*id)} (halves away from zero), scale stored as F16 of {@code d}.</li>
 *   <li>Q4_0, per block of 32: {@code max} = the element of largest magnitude with its sign (first one on ties),
 *       {@code d = max/-8}, {@code id = d != 0 ? 1/d : 0}, {@code q = min(15, (int8)(x*id + 8.5f))}; byte
 *       {@code j} holds element {@code j} in its low nibble and element {@code j+16} in its high nibble.</li>
 * </ul>
 * The other block types (Q4_1, Q5_0, Q5_1 and the K-quants) are quantized by {@link KQuantizer}.
 * Non-finite inputs to Q8_0/Q4_0 give unspecified (but bounded, exception-free) blocks, as in ggml.
 */
public final class Quantize {
    private static final int QK = 32;

    private Quantize() {}

    /**
     * {@code src} converted to {@code to}, same name and shape; {@code src} itself if it already has that dtype.
     * The result lives in an automatically managed off-heap arena. Conversion goes row by row through float
     * buffers, so quantizing a memory-mapped tensor never copies it whole onto the Java heap.
     *
     * @throws IllegalArgumentException if {@code to} is quantized and the rows (last dimension) are not a multiple
     *                                  of 32 elements
     */
    public static Tensor quantize(Tensor src, DType to) {
        if (src.dtype() == to) return src;
        long n = src.size();
        long rowLen = src.rank() == 0 ? 1 : src.dim(src.rank() - 1);
        if (to.quantized() && (src.rank() == 0 || rowLen % to.blockSize() != 0)) {
            throw new IllegalArgumentException(src.name() + ": " + to + " needs rows that are a multiple of "
                    + to.blockSize() + " elements, shape is " + Arrays.toString(src.shape()));
        }
        MemorySegment out = Arena.ofAuto().allocate(Math.max(1, to.bytesFor(n)), 64).asSlice(0, to.bytesFor(n));
        // chunk: whole rows for quantized targets, at most ~64K floats at a time
        long chunk = to.quantized() ? Math.max(rowLen, (65536 / rowLen) * rowLen) : Math.min(Math.max(n, 1), 65536);
        float[] buf = new float[(int) Math.min(Math.max(chunk, 1), Math.max(n, 1))];
        for (long start = 0; start < n; ) {
            int len = (int) Math.min(buf.length, n - start);
            src.read(start, buf, 0, len);
            long dstOff = to.bytesFor(start);
            switch (to) {
                case F32 -> MemorySegment.copy(buf, 0, out, Tensor.F32_LE, dstOff, len);
                case F16 -> {
                    for (int i = 0; i < len; i++) out.set(Tensor.I16_LE, dstOff + 2L * i, Float.floatToFloat16(buf[i]));
                }
                case BF16 -> {
                    for (int i = 0; i < len; i++) out.set(Tensor.I16_LE, dstOff + 2L * i, fp32ToBf16(buf[i]));
                }
                case Q8_0 -> quantizeRowQ8_0(buf, 0, len, out, dstOff);
                case Q4_0 -> quantizeRowQ4_0(buf, 0, len, out, dstOff);
                default -> KQuantizer.quantizeRow(to, buf, 0, len, out, dstOff);
            }
            start += len;
        }
        return new Tensor(src.name(), to, src.shape(), out);
    }

    /** {@code src} as an F32 tensor (itself if already F32). */
    public static Tensor dequantize(Tensor src) {
        return quantize(src, DType.F32);
    }

    /** BF16 bits of {@code f}, as ggml's {@code ggml_compute_fp32_to_bf16}. */
    public static short fp32ToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fff_ffff) > 0x7f80_0000) return (short) ((u >>> 16) | 64); // NaN: keep sign/payload, force quiet
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    /** C's {@code roundf}: nearest integer, halves away from zero (exact for every float). */
    static float roundf(float x) {
        double a = Math.abs((double) x);
        double f = Math.floor(a);
        double r = a - f >= 0.5 ? f + 1 : f;
        return (float) Math.copySign(r, x);
    }

    /**
     * Quantizes {@code n} floats (a multiple of 32) from {@code x[off..]} to Q8_0 blocks at {@code dst[dstOff..]}
     * ({@code n/32 * 34} bytes).
     */
    public static void quantizeRowQ8_0(float[] x, int off, int n, MemorySegment dst, long dstOff) {
        if (n % QK != 0) throw new IllegalArgumentException("Q8_0 needs a multiple of 32 elements, got " + n);
        for (int b = 0; b < n / QK; b++) {
            int base = off + b * QK;
            float amax = 0f;
            for (int j = 0; j < QK; j++) {
                float v = Math.abs(x[base + j]);
                amax = amax > v ? amax : v; // ggml's MAX macro, NaN behaviour included
            }
            float d = amax / 127f;
            float id = d != 0f ? 1f / d : 0f;
            long o = dstOff + (long) b * 34;
            dst.set(Tensor.I16_LE, o, Float.floatToFloat16(d));
            for (int j = 0; j < QK; j++) {
                dst.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) (int) roundf(x[base + j] * id));
            }
        }
    }

    /**
     * Quantizes {@code n} floats (a multiple of 32) from {@code x[off..]} to Q4_0 blocks at {@code dst[dstOff..]}
     * ({@code n/32 * 18} bytes).
     */
    public static void quantizeRowQ4_0(float[] x, int off, int n, MemorySegment dst, long dstOff) {
        if (n % QK != 0) throw new IllegalArgumentException("Q4_0 needs a multiple of 32 elements, got " + n);
        for (int b = 0; b < n / QK; b++) {
            int base = off + b * QK;
            float amax = 0f, max = 0f;
            for (int j = 0; j < QK; j++) {
                float v = x[base + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8f;
            float id = d != 0f ? 1f / d : 0f;
            long o = dstOff + (long) b * 18;
            dst.set(Tensor.I16_LE, o, Float.floatToFloat16(d));
            for (int j = 0; j < QK / 2; j++) {
                // (int8_t) truncation, MIN(15, .), then uint8_t, exactly as ggml (in range 0..15 for finite input)
                int q0 = Math.min(15, (byte) (int) (x[base + j] * id + 8.5f)) & 0xff;
                int q1 = Math.min(15, (byte) (int) (x[base + QK / 2 + j] * id + 8.5f)) & 0xff;
                dst.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) (q0 | (q1 << 4)));
            }
        }
    }
}
