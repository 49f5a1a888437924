package org.taylormlp.nn;

/** Small element-wise operations of the forward pass (plain loops; the JIT vectorizes most of them). */
public final class Ops {
    private Ops() {}

    public static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    /** out = (x - mean) / sqrt(var + eps) * w + b, with mean and variance accumulated in double. */
    public static void layernorm(float[] out, int oOff, float[] x, int xOff, float[] w, float[] b, int n, float eps) {
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
        for (int i = 0; i < n; i++) out[oOff + i] = (x[xOff + i] - m) * inv * w[i] + (b == null ? 0f : b[i]);
    }

    public static float silu(float x) {
        return (float) (x / (1.0 + Math.exp(-x)));
    }

    public static float geluTanh(float x) {
        double t = Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x));
        return (float) (0.5 * x * (1.0 + t));
    }

    public static float geluErf(float x) {
        return (float) (0.5 * x * (1.0 + erf(x / Math.sqrt(2.0))));
    }

    /**
     * erf in double precision: Maclaurin series for |x| < 3 (alternating, ≤ ~1e-12 absolute error there), Lentz
     * continued fraction of erfc beyond.
     */
    public static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 3.0) {
            double x2 = ax * ax, term = ax, sum = ax;
            for (int n = 1; n < 100; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
            }
            r = 2.0 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
            double tiny = 1e-300, f = ax, c = ax, d = 0;
            for (int k = 1; k < 200; k++) {
                double a = k / 2.0;
                d = ax + a * d;
                if (d == 0) d = tiny;
                c = ax + a / c;
                if (c == 0) c = tiny;
                d = 1 / d;
                double delta = c * d;
                f *= delta;
                if (Math.abs(delta - 1) < 1e-16) break;
            }
            r = 1.0 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }
}
