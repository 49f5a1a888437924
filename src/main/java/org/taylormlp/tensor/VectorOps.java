package org.taylormlp.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the small vector operations of the forward pass (single-threaded; they are cheap next
 * to the matrix products). Same signatures and semantics as {@link ScalarOps}, the reference they are tested
 * against; results differ from it by float summation order, and {@code exp}/{@code tanh} come from the JDK's
 * vector math (SVML on x86), within a few ulps of {@link Math#exp}. Uses the same width as {@link VectorKernels}.
 *
 * <p>Only call this class when the {@code jdk.incubator.vector} module is present
 * ({@link KernelsProvider#vectorApiAvailable()}); otherwise use ScalarOps.
 */
public final class VectorOps {
    private VectorOps() {}

    static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final int L = F.length();

    /** Σ a[aOff + i] · b[bOff + i] for i in [0, n). */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int u = n - 4 * L; i <= u; i += 4 * L) {
            a0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), a0);
            a1 = FloatVector.fromArray(F, a, aOff + i + L).fma(FloatVector.fromArray(F, b, bOff + i + L), a1);
            a2 = FloatVector.fromArray(F, a, aOff + i + 2 * L).fma(FloatVector.fromArray(F, b, bOff + i + 2 * L), a2);
            a3 = FloatVector.fromArray(F, a, aOff + i + 3 * L).fma(FloatVector.fromArray(F, b, bOff + i + 3 * L), a3);
        }
        for (; i <= n - L; i += L) a0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), a0);
        float s = VectorKernels.sum(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /** y[yOff + i] += a · x[xOff + i]. */
    public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(F, a);
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(F, x, xOff + i).fma(va, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    /** y[i] += x[i] for i in [0, n). */
    public static void add(float[] y, float[] x, int n) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(F, y, i).add(FloatVector.fromArray(F, x, i)).intoArray(y, i);
        for (; i < n; i++) y[i] += x[i];
    }

    /** x[off + i] *= s. */
    public static void scale(float[] x, int off, int n, float s) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(F, x, off + i).mul(s).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= s;
    }

    /** out[outOff + i] = x[xOff + i] · weight[i] / sqrt(mean(x²) + eps), for i in [0, n). out may be x. */
    public static void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int n, float eps) {
        float ss = dot(x, xOff, x, xOff, n);
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(F, x, xOff + i).mul(inv).mul(FloatVector.fromArray(F, weight, i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = x[xOff + i] * inv * weight[i];
    }

    public static void rmsnorm(float[] out, float[] x, float[] weight, float eps) {
        rmsnorm(out, 0, x, 0, weight, weight.length, eps);
    }

    // e^x (Cephes expf): x clamped to [EXP_LO, EXP_HI], x = n·ln2 + r with |r| ≤ ln2/2 (Cody-Waite, two-part ln2),
    // e^r by a degree-7 polynomial, 2^n built in the exponent bits. Relative error about 2 ulp.
    private static final float EXP_LO = -87.33654f, EXP_HI = 88.0f, LOG2E = 1.44269504088896341f, ROUND = 12582912f; // 1.5·2^23
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /**
     * e^x in every lane, from lane operations IEEE 754 defines exactly (add, multiply, conversions, shifts), so every
     * JIT tier and the interpreter give the same bits: the Vector API's own {@code EXP} is an intrinsic in C2 and a
     * Java loop elsewhere, and the two differ by a few ulps, which made logits depend on when C2 had compiled the
     * kernel. Inputs below −87.3 give 1.2·10⁻³⁸ (not 0 or a subnormal), above 88 give e^88; NaN stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        x = x.max(EXP_LO).min(EXP_HI);
        FloatVector n = x.mul(LOG2E).add(ROUND).sub(ROUND); // round to nearest
        FloatVector r = x.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector p = r.mul(P0).add(P1).mul(r).add(P2).mul(r).add(P3).mul(r).add(P4).mul(r).add(P5);
        FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return y.mul(bits.reinterpretAsFloats());
    }

    /** The same computation as {@link #exp(FloatVector)} for one float (for tails), bit for bit. */
    static float exp(float x) {
        x = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float n = x * LOG2E + ROUND - ROUND;
        float r = x - n * LN2_HI - n * LN2_LO;
        float p = ((((r * P0 + P1) * r + P2) * r + P3) * r + P4) * r + P5;
        float y = p * (r * r) + r + 1f;
        return y * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    /** In place: x[off..off+n) = exp(x − max) / Σ exp(x − max). */
    public static void softmax(float[] x, int off, int n) {
        if (n <= 0) return;
        int i = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (n >= L) {
            FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (; i <= n - L; i += L) m = m.max(FloatVector.fromArray(F, x, off + i));
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) max = Math.max(max, x[off + i]);
        FloatVector vmax = FloatVector.broadcast(F, max);
        FloatVector acc = FloatVector.zero(F);
        i = 0;
        for (; i <= n - L; i += L) {
            FloatVector e = exp(FloatVector.fromArray(F, x, off + i).sub(vmax));
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        float sum = VectorKernels.sum(acc);
        for (; i < n; i++) {
            float e = exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        scale(x, off, n, 1f / sum);
    }

    /**
     * In place: x = x · sigmoid(x). The element-wise functions below compute a partial last vector with a lane
     * mask instead of a scalar tail, so every element gets the same float result wherever it sits (a batch of
     * rows processed at once equals the rows processed one by one, bit for bit).
     */
    public static void silu(float[] x, int off, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, off + i);
            v.div(exp(v.neg()).add(1f)).intoArray(x, off + i);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(F, x, off + i, m);
            v.div(exp(v.neg()).add(1f)).intoArray(x, off + i, m);
        }
    }

    /** SwiGLU: gate[i] = silu(gate[i]) · up[i] for i in [0, n). */
    public static void swiglu(float[] gate, float[] up, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, gate, i);
            v.div(exp(v.neg()).add(1f)).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(F, gate, i, m);
            v.div(exp(v.neg()).add(1f)).mul(FloatVector.fromArray(F, up, i, m)).intoArray(gate, i, m);
        }
    }

    /** In place, the tanh approximation (GPT-2, "gelu_pytorch_tanh"): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    public static void gelu(float[] x, int off, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, off + i);
            FloatVector inner = v.mul(v).mul(v).mul(0.044715f).add(v).mul(SQRT_2_OVER_PI);
            v.div(exp(inner.mul(-2f)).add(1f)).intoArray(x, off + i); // 0.5·(1 + tanh(t)) = 1/(1 + e^(−2t))
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(F, x, off + i, m);
            FloatVector inner = v.mul(v).mul(v).mul(0.044715f).add(v).mul(SQRT_2_OVER_PI);
            v.div(exp(inner.mul(-2f)).add(1f)).intoArray(x, off + i, m);
        }
    }
}
