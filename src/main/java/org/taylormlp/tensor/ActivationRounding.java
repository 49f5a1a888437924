package org.taylormlp.tensor;

/**
 * The 8-bit rounding of activations that products with Q8_0 and Q5_0 weights apply, as llama.cpp does for these
 * types (its {@code vec_dot_q8_0_q8_0} / {@code vec_dot_q5_0_q8_0} multiply the weights with the activations quantized
 * to Q8_0): the input vector is cut into blocks of {@value #BLOCK}, each block gets the integers {@code q =
 * rint(x · 127 / max|x|)} (as ggml's {@code quantize_row_q8_0} computes them in its AVX2 form: halves round to even)
 * and the scale {@code d = max|x| / 127}, and the product is {@code Σ w · q·d}. ggml stores that scale as f16; it
 * stays a float here: as accurate for scales in f16's normal range, more accurate for small activations (f16
 * subnormal scales below max|x| ≈ 7.8e-3) and without f16's overflow (max|x| above 8.3e6). The
 * integers let the kernels multiply int8 by int8 in 16-bit lanes, which runs faster than widening every weight to a
 * float lane (docs/PERFORMANCE.md); the price is the rounding of x, at most {@code d / 2} per element.
 *
 * <p>Every implementation of {@link Kernels} computes products with these types from the same rounded activations
 * (the scalar reference, the vector kernels, single tokens and prompt batches), so they still agree with each other
 * to float rounding. Other weight types multiply the activations as they are (llama.cpp rounds those too, in other
 * block formats).
 */
public final class ActivationRounding {
    /** Elements per block, each block with its own scale. */
    public static final int BLOCK = 32;

    private ActivationRounding() {
    }

    /** Whether products with weights of type {@code t} use rounded activations. */
    public static boolean appliesTo(DType t) {
        return t == DType.Q8_0 || t == DType.Q5_0;
    }

    /**
     * x[off, off + n) rounded: {@code q[qOff + i]} the integers (|q| ≤ 127) and {@code d[dOff + i / 32]} the scale
     * of each block. {@code n} must be a multiple of {@value #BLOCK}. A NaN in a block makes its scale NaN, an
     * infinity makes it infinite (and every q of the block 0), so non-finite inputs still give non-finite products;
     * a block whose scale underflows to 0, or whose 127 / max|x| overflows (max|x| below 3.8e-37), gets q = 0.
     */
    public static void quantize(float[] x, int off, int n, short[] q, int qOff, float[] d, int dOff) {
        if (n % BLOCK != 0) throw new IllegalArgumentException("activations of length " + n + " are not whole blocks of " + BLOCK);
        for (int b = 0; b < n; b += BLOCK) {
            float amax = 0f;
            for (int j = 0; j < BLOCK; j++) {
                float a = Math.abs(x[off + b + j]);
                if (!(a <= amax) && amax == amax) amax = a; // a NaN is taken and kept
            }
            // q as ggml's quantize_row_q8_0 (AVX2) computes it: id = 127 / amax, q = round-to-even(x · id)
            float s = amax / 127f, id = 127f / amax;
            d[dOff + b / BLOCK] = s;
            boolean zero = s == 0f || !(id < Float.POSITIVE_INFINITY); // also NaN amax; an infinite one gives id 0
            for (int j = 0; j < BLOCK; j++) {
                // |x| <= amax, so |x · id| <= 127 up to one rounding: rint stays within [-127, 127]
                q[qOff + b + j] = zero ? 0 : (short) Math.rint(x[off + b + j] * id);
            }
        }
    }

    /**
     * x[off, off + n) rounded as {@link #quantize} and written back as floats: {@code dst[dstOff + i] = q_i · d}
     * (the product rounded to float). {@code dst} may be {@code x} at the same offset.
     */
    public static void round(float[] x, int off, int n, float[] dst, int dstOff) {
        if (n % BLOCK != 0) throw new IllegalArgumentException("activations of length " + n + " are not whole blocks of " + BLOCK);
        short[] q = new short[BLOCK];
        float[] d = new float[1];
        for (int b = 0; b < n; b += BLOCK) {
            quantize(x, off + b, BLOCK, q, 0, d, 0);
            for (int j = 0; j < BLOCK; j++) dst[dstOff + b + j] = q[j] * d[0];
        }
    }
}
