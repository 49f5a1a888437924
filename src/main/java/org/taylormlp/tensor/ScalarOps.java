package org.taylormlp.tensor;

/**
 * Plain loops for the small vector operations of the forward pass: the reference {@link VectorOps} is tested
 * against, and the fallback when the Vector API is unavailable. Same signatures and semantics as VectorOps.
 */
public final class ScalarOps {
    private ScalarOps() {}

    static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    /** Σ a[aOff + i] · b[bOff + i] for i in [0, n). */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /**
     * Σ a·b over n elements whose first {@code 2·half} are in half-split order: pairs (i, i + half) summed in
     * turn, then the tail (the summation order of the interleaved layout (2i, 2i+1)).
     */
    public static float dotHalfSplit(float[] a, int ao, float[] b, int bo, int n, int half) {
        float s = 0f;
        for (int i = 0; i < half; i++) s += a[ao + i] * b[bo + i] + a[ao + half + i] * b[bo + half + i];
        for (int i = 2 * half; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** y[yOff + i] += a · x[xOff + i]. */
    public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    /** y[i] += x[i] for i in [0, n). */
    public static void add(float[] y, float[] x, int n) {
        for (int i = 0; i < n; i++) y[i] += x[i];
    }

    /** x[off + i] *= s. */
    public static void scale(float[] x, int off, int n, float s) {
        for (int i = 0; i < n; i++) x[off + i] *= s;
    }

    /** out[outOff + i] = x[xOff + i] · weight[i] / sqrt(mean(x²) + eps), for i in [0, n). out may be x. */
    public static void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int n, float eps) {
        float ss = 0f;
        for (int i = 0; i < n; i++) ss += x[xOff + i] * x[xOff + i];
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) out[outOff + i] = x[xOff + i] * inv * weight[i];
    }

    public static void rmsnorm(float[] out, float[] x, float[] weight, float eps) {
        rmsnorm(out, 0, x, 0, weight, weight.length, eps);
    }

    /**
     * out = (x − mean) / sqrt(var + eps) · weight + bias over n elements (population variance, mean and variance
     * accumulated in double); bias may be null. out may be x. The engine's only layernorm.
     */
    public static void layernorm(float[] out, int outOff, float[] x, int xOff, float[] weight, float[] bias, int n, float eps) {
        double mean = 0;
        for (int i = 0; i < n; i++) mean += x[xOff + i];
        mean /= n;
        double var = 0;
        for (int i = 0; i < n; i++) {
            double d = x[xOff + i] - mean;
            var += d * d;
        }
        var /= n;
        float inv = (float) (1.0 / Math.sqrt(var + eps));
        float m = (float) mean;
        for (int i = 0; i < n; i++) out[outOff + i] = (x[xOff + i] - m) * inv * weight[i] + (bias == null ? 0f : bias[i]);
    }

    public static void layernorm(float[] out, float[] x, float[] weight, float[] bias, float eps) {
        layernorm(out, 0, x, 0, weight, bias, weight.length, eps);
    }

    /** In place: x[off..off+n) = exp(x − max) / Σ exp(x − max). */
    public static void softmax(float[] x, int off, int n) {
        if (n <= 0) return;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    /** In place: x = x · sigmoid(x). */
    public static void silu(float[] x, int off, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[off + i];
            x[off + i] = (float) (v / (1.0 + Math.exp(-v)));
        }
    }

    /** SwiGLU: gate[i] = silu(gate[i]) · up[i] for i in [0, n). */
    public static void swiglu(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            float v = gate[i];
            gate[i] = (float) (v / (1.0 + Math.exp(-v))) * up[i];
        }
    }

    /** In place, the tanh approximation (GPT-2, "gelu_pytorch_tanh"): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    public static void gelu(float[] x, int off, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[off + i];
            x[off + i] = (float) (0.5 * v * (1.0 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))));
        }
    }

    /** In place, exact GELU: x · Φ(x) in double, rounded to float. */
    public static void geluErf(float[] x, int off, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[off + i];
            x[off + i] = (float) (v * Normal.cdf(v));
        }
    }

    /** In place: (x[off+i], x[off+half+i]) rotated by the angle with cosine cos[i] and sine sin[i], i in [0, half). */
    public static void rope(float[] x, int off, float[] cos, float[] sin, int half) {
        for (int i = 0; i < half; i++) {
            float a = x[off + i], b = x[off + i + half];
            x[off + i] = a * cos[i] - b * sin[i];
            x[off + i + half] = a * sin[i] + b * cos[i];
        }
    }
}
