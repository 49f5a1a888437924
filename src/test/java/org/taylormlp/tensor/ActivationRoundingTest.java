package org.taylormlp.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The 8-bit rounding of activations for quantized products: its definition (scale, integers, error), its non-finite
 * inputs, and what it does to a product against the unrounded activations (the accuracy given up for the int8
 * kernels, stated and bounded).
 */
class ActivationRoundingTest {

    @Test
    void eachBlockIsScaledByItsLargestMagnitudeAndRoundedToTheNearestIntegerAsGgmlDoes() {
        Random rnd = new Random(1);
        int n = 4 * 32;
        float[] x = TestTensors.gaussian(rnd, n, 3.0);
        java.util.Arrays.fill(x, 64, 96, 0f); // an all-zero block
        x[100] = -50f;                         // a block whose largest magnitude is negative
        short[] q = new short[n];
        float[] d = new float[n / 32];
        ActivationRounding.quantize(x, 0, n, q, 0, d, 0);
        float[] r = new float[n];
        ActivationRounding.round(x, 0, n, r, 0);
        for (int b = 0; b < n / 32; b++) {
            float amax = 0f;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]));
            float exactScale = amax / 127f;
            assertThat(d[b]).as("scale of block %d: amax/127", b).isEqualTo(exactScale);
            boolean hitsTheLimit = false;
            for (int j = 0; j < 32; j++) {
                int i = b * 32 + j;
                assertThat((int) q[i]).isBetween(-127, 127);
                hitsTheLimit |= Math.abs(q[i]) == 127;
                assertThat(r[i]).isEqualTo(q[i] * d[b]);
                if (d[b] == 0f) {
                    assertThat(q[i]).isZero();
                } else {
                    assertThat((double) q[i]).isEqualTo(Math.rint(x[i] * (127f / amax)));
                    // half a step, plus the float roundings of 127 / amax, x · id and q·d
                    double bound = exactScale * 0.5 + 1e-6 * Math.abs(x[i]);
                    assertThat(Math.abs((double) r[i] - x[i])).isLessThanOrEqualTo(bound);
                }
            }
            assertThat(hitsTheLimit || d[b] == 0f).as("the largest element of block %d maps to ±127", b).isTrue();
        }
        assertThat(q[100]).isEqualTo((short) -127);
    }

    @Test
    void offsetsAndInPlaceRoundingAgreeWithTheDefinition() {
        Random rnd = new Random(2);
        float[] x = TestTensors.gaussian(rnd, 7 + 64, 1.0);
        float[] copy = java.util.Arrays.copyOfRange(x, 7, 71), r = new float[64];
        ActivationRounding.round(copy, 0, 64, r, 0);
        ActivationRounding.round(x, 7, 64, x, 7);
        assertThat(java.util.Arrays.copyOfRange(x, 7, 71)).containsExactly(r);
    }

    @Test
    void nonFiniteInputsGiveNonFiniteScalesNeverGarbageIntegers() {
        float[] x = new float[96];
        for (int i = 0; i < 96; i++) x[i] = i % 7 - 3f;
        x[5] = Float.NaN;
        x[40] = Float.POSITIVE_INFINITY;
        x[64] = Float.MIN_VALUE; // a block of one subnormal: its scale underflows to 0
        for (int i = 65; i < 96; i++) x[i] = 0f;
        short[] q = new short[96];
        float[] d = new float[3];
        ActivationRounding.quantize(x, 0, 96, q, 0, d, 0);
        assertThat(d[0]).isNaN();
        assertThat(d[1]).isInfinite();
        assertThat(d[2]).isZero();
        for (short v : q) assertThat(v).isZero();
        float[] r = new float[96];
        ActivationRounding.round(x, 0, 96, r, 0);
        assertThat(r[0]).isNaN();
        assertThat(r[32]).isNaN(); // 0 · ∞
        assertThat(r[64]).isZero();
    }

    @Test
    void largeAndTinyActivationsKeepTheirScale() {
        float[] x = new float[64];
        x[0] = 1e8f;      // beyond an f16 scale's range
        x[1] = -3e7f;
        x[32] = 1e-4f;    // an f16 scale would be subnormal here
        x[33] = 3e-5f;
        short[] q = new short[64];
        float[] d = new float[2];
        ActivationRounding.quantize(x, 0, 64, q, 0, d, 0);
        assertThat(d).containsExactly(1e8f / 127f, 1e-4f / 127f);
        assertThat(q[0]).isEqualTo((short) 127);
        assertThat(q[1]).isEqualTo((short) Math.rint(-3e7f * (127f / 1e8f)));
        assertThat(q[32]).isEqualTo((short) 127);
        assertThat(q[33]).isEqualTo((short) 38);
    }

    /**
     * The vector kernels' rounding ({@code VectorKernels.roundActivations}) gives the plain form's bits: integers,
     * scales and rounded floats, on Gaussian blocks at several scales, ties (x·127/amax exactly k + 0.5), zero, NaN,
     * infinite, huge and subnormal blocks, at an offset.
     */
    @Test
    void theVectorFormHasThePlainFormsBits() {
        Random rnd = new Random(5);
        int n = 12 * 32, off = 3;
        float[] x = new float[off + n];
        float[] g = TestTensors.gaussian(rnd, n, 1.0);
        for (int i = 0; i < n; i++) x[off + i] = g[i] * (float) Math.pow(10, (i / 32) % 5 - 2);
        for (int j = 0; j < 32; j++) x[off + 32 + j] = (j - 16) * 0.5f * (127f / 127f); // ties of the 127-step grid
        x[off + 32] = 127f;
        java.util.Arrays.fill(x, off + 64, off + 96, 0f);
        x[off + 100] = Float.NaN;
        x[off + 140] = Float.NEGATIVE_INFINITY;
        x[off + 170] = 3e38f;
        for (int j = 0; j < 32; j++) x[off + 192 + j] = Float.MIN_VALUE * j;
        short[] q1 = new short[n], q2 = new short[n];
        float[] d1 = new float[n / 32], d2 = new float[n / 32], r1 = new float[n], r2 = new float[n];
        ActivationRounding.run(x, off, n, q1, 0, d1, 0, r1, 0);
        VectorKernels.roundActivations(x, off, n, q2, 0, d2, 0, r2, 0);
        assertThat(q2).containsExactly(q1);
        for (int b = 0; b < n / 32; b++) assertThat(Float.floatToRawIntBits(d2[b])).as("scale %d", b).isEqualTo(Float.floatToRawIntBits(d1[b]));
        for (int i = 0; i < n; i++) assertThat(Float.floatToRawIntBits(r2[i])).as("value %d", i).isEqualTo(Float.floatToRawIntBits(r1[i]));
        float[] r3 = new float[n];
        VectorKernels.roundActivations(x, off, n, null, 0, null, 0, r3, 0);
        for (int i = 0; i < n; i++) assertThat(Float.floatToRawIntBits(r3[i])).isEqualTo(Float.floatToRawIntBits(r1[i]));
        assertThat(q1[32 + 17]).as("0.5 rounds to even").isZero();
        assertThat(q1[32 + 19]).as("1.5 rounds to even").isEqualTo((short) 2);
    }

    @Test
    void lengthsThatAreNotWholeBlocksAreRejected() {
        assertThatThrownBy(() -> ActivationRounding.round(new float[40], 0, 40, new float[40], 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("40");
        assertThatThrownBy(() -> ActivationRounding.quantize(new float[40], 0, 40, new short[40], 0, new float[2], 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void whichTypesRound() {
        for (DType t : DType.values()) {
            assertThat(ActivationRounding.appliesTo(t)).as(t.name()).isEqualTo(t.quantized());
        }
    }

    /**
     * A Q8_0 product through the kernels differs from the product with the unrounded activations by at most
     * Σ|w|·d/2 (the rounding's bound), and by more than float rounding (the rounding does take place), on both the
     * scalar and the vector kernels; an F32 product of the same values is not rounded.
     */
    @Test
    void roundingChangesQ8ProductsWithinItsBoundAndLeavesFloatWeightsAlone() {
        Random rnd = new Random(3);
        int rows = 16, cols = 512;
        float[] wf = TestTensors.gaussian(rnd, rows * cols, 0.05);
        Tensor q8 = Quantize.quantize(Tensor.ofFloats("w", wf, rows, cols), DType.Q8_0);
        float[] deq = new float[rows * cols];
        q8.read(0, deq, 0, deq.length);
        Tensor f32 = Tensor.ofFloats("w", deq, rows, cols);
        float[] x = TestTensors.gaussian(rnd, cols, 1.0);
        float[] xr = new float[cols];
        ActivationRounding.round(x, 0, cols, xr, 0);
        short[] q = new short[cols];
        float[] d = new float[cols / 32];
        ActivationRounding.quantize(x, 0, cols, q, 0, d, 0);
        VectorKernels vk = new VectorKernels(1);
        try {
            float[] sq = new float[rows], vq = new float[rows], vf = new float[rows];
            ScalarKernels.INSTANCE.matvec(q8, x, sq);
            vk.matvec(q8, x, vq);
            vk.matvec(f32, x, vf);
            double largest = 0;
            for (int r = 0; r < rows; r++) {
                double exact = 0, abs = 0, roundingBound = 0;
                for (int c = 0; c < cols; c++) {
                    double w = deq[r * cols + c];
                    exact += w * x[c];
                    abs += Math.abs(w * x[c]);
                    roundingBound += Math.abs(w) * d[c / 32] * 0.5;
                }
                double floatBound = 1e-5 * abs;
                assertThat(Math.abs(vf[r] - exact)).as("F32 row %d is not rounded", r).isLessThanOrEqualTo(floatBound);
                assertThat(Math.abs(sq[r] - exact)).as("scalar Q8_0 row %d", r).isLessThanOrEqualTo(roundingBound + floatBound);
                assertThat(Math.abs(vq[r] - exact)).as("vector Q8_0 row %d", r).isLessThanOrEqualTo(roundingBound + floatBound);
                largest = Math.max(largest, Math.abs(vq[r] - exact) / floatBound);
            }
            assertThat(largest).as("the rounding shows in some row beyond float rounding").isGreaterThan(1.0);
        } finally {
            vk.pool().close();
        }
    }
}
