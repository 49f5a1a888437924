package org.taylormlp.tensor;

/**
 * The 8-bit rounding of activations that products with quantized weights apply, as llama.cpp does (its
 * {@code vec_dot_q8_0_q8_0}, {@code vec_dot_q4_K_q8_K}, ... multiply the weights with the activations quantized to
 * Q8_0 / Q8_1 / Q8_K blocks): the input vector is cut into blocks of {@value #BLOCK}, each block gets the integers
 * {@code q = rint(x · 127 / max|x|)} (as ggml's {@code quantize_row_q8_0} computes them in its AVX2 form: halves
 * round to even) and the scale {@code d = max|x| / 127}, and the product is {@code Σ w · q·d}. One rule for every
 * quantized type: ggml uses blocks of 256 for the K-quants (Q8_K) and stores the Q8_0 scale as f16; here the blocks
 * are 32 and the scale stays a float (as accurate for f16-normal scales, more accurate for small activations, whose
 * f16 scales are subnormal below max|x| ≈ 7.8e-3, and no overflow above max|x| ≈ 8.3e6). The integers let the
 * kernels multiply int8 by int8 in 16-bit lanes, which runs faster than widening every weight to a float lane
 * (docs/PERFORMANCE.md); the price is the rounding of x, at most {@code d / 2} per element.
 *
 * <p>Every implementation of {@link Kernels} computes products with these types from the same rounded activations
 * (the scalar reference, the vector kernels, single tokens and prompt batches), so they still agree with each other
 * to float rounding. F32, F16 and BF16 weights multiply the activations as they are. This class is plain Java (the
 * scalar kernels run without the Vector API module); the vector kernels round with vectors, to the same bits.
 */
public final class ActivationRounding {
    /** Elements per block, each block with its own scale. */
    public static final int BLOCK = 32;

    private ActivationRounding() {
    }

    /** Whether products with weights of type {@code t} use rounded activations. */
    public static boolean appliesTo(DType t) {
        return t.quantized();
    }

    /**
     * x[off, off + n) rounded: {@code q[qOff + i]} the integers (|q| ≤ 127) and {@code d[dOff + i / 32]} the scale
     * of each block. {@code n} must be a multiple of {@value #BLOCK}. A NaN in a block makes its scale NaN, an
     * infinity makes it infinite (and every q of the block 0), so non-finite inputs still give non-finite products;
     * a block whose scale underflows to 0, or whose 127 / max|x| overflows (max|x| below 3.8e-37), gets q = 0.
     */
    public static void quantize(float[] x, int off, int n, short[] q, int qOff, float[] d, int dOff) {
        run(x, off, n, q, qOff, d, dOff, null, 0);
    }

    /**
     * x[off, off + n) rounded as {@link #quantize} and written back as floats: {@code dst[dstOff + i] = q_i · d}
     * (the product rounded to float). {@code dst} may be {@code x} at the same offset.
     */
    public static void round(float[] x, int off, int n, float[] dst, int dstOff) {
        run(x, off, n, null, 0, null, 0, dst, dstOff);
    }

    /** 1.5·2²³: {@code (v + MAGIC) − MAGIC} is v rounded to the nearest integer, halves to even, for |v| < 2²². */
    static final float MAGIC = 12582912f;

    /**
     * Both forms in plain Java (the scalar kernels use it without the Vector API module; {@code
     * VectorKernels.roundActivations} computes the same bits with vectors): the integers into q and the scales into
     * d, or the rounded floats into r.
     */
    static void run(float[] x, int off, int n, short[] q, int qOff, float[] d, int dOff, float[] r, int rOff) {
        check(x, off, n, q, qOff, d, dOff, r, rOff);
        for (int b = 0; b < n; b += BLOCK) {
            float amax = 0f;
            for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[off + b + j])); // a NaN stays NaN
            // q as ggml's quantize_row_q8_0 (AVX2) computes it: id = 127 / amax, q = round-to-even(x · id)
            float s = amax / 127f, id = 127f / amax;
            if (q != null) d[dOff + b / BLOCK] = s;
            if (zeroBlock(s, id)) {
                if (q != null) java.util.Arrays.fill(q, qOff + b, qOff + b + BLOCK, (short) 0);
                if (r != null) java.util.Arrays.fill(r, rOff + b, rOff + b + BLOCK, 0f * s); // NaN for a NaN or infinite scale
                continue;
            }
            for (int j = 0; j < BLOCK; j++) {
                // |x| <= amax, so |x · id| <= 127 up to one rounding: the result stays within [-127, 127]
                float v = x[off + b + j] * id + MAGIC - MAGIC;
                if (q != null) q[qOff + b + j] = (short) v;
                if (r != null) r[rOff + b + j] = v * s;
            }
        }
    }

    /** q = 0 for a zero, NaN or infinite max and where 127 / amax overflows (amax below 3.8e-37). */
    static boolean zeroBlock(float s, float id) {
        return !(s > 0f && id > 0f && id < Float.POSITIVE_INFINITY);
    }

    static void check(float[] x, int off, int n, short[] q, int qOff, float[] d, int dOff, float[] r, int rOff) {
        if (n % BLOCK != 0) throw new IllegalArgumentException("activations of length " + n + " are not whole blocks of " + BLOCK);
        java.util.Objects.checkFromIndexSize(off, n, x.length);
        if (q != null) {
            java.util.Objects.checkFromIndexSize(qOff, n, q.length);
            java.util.Objects.checkFromIndexSize(dOff, n / BLOCK, d.length);
        }
        if (r != null) java.util.Objects.checkFromIndexSize(rOff, n, r.length);
    }
}
