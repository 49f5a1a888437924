package org.taylormlp.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.taylormlp.tensor.TestTensors.U;
import static org.taylormlp.tensor.TestTensors.vectorDepth;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * {@link VectorOps} and {@link ScalarOps} against double-precision truth, with error bounds derived from the
 * operation (summation depth, roundings per element, a few ulps for the vector exp/tanh), on lengths around
 * the vector width and at offsets.
 */
class VectorOpsTest {
    static final int[] SIZES = {1, 2, 3, 7, 15, 16, 17, 31, 33, 48, 63, 64, 65, 100, 288, 1000, 4096};
    /** Allowed error of the vector exp (VectorOps.exp, within 3 ulp; tanh is computed from it) with margin. */
    static final double ULPS_TRANSCENDENTAL = 8;

    final Random rnd = new Random(1234);

    float[] gauss(int n, double s) {
        return TestTensors.gaussian(rnd, n, s);
    }

    static void close(String what, double got, double expect, double tol) {
        if (!(Math.abs(got - expect) <= tol)) {
            throw new AssertionError(what + ": got " + got + ", expected " + expect + " ± " + tol);
        }
    }

    @Test
    void dot() {
        for (int n : SIZES) {
            float[] a = gauss(n + 5, 1), b = gauss(n + 2, 1);
            double t = 0, abs = 0;
            for (int i = 0; i < n; i++) {
                double p = (double) a[5 + i] * b[2 + i];
                t += p;
                abs += Math.abs(p);
            }
            close("vector dot n=" + n, VectorOps.dot(a, 5, b, 2, n), t, TestTensors.bound(vectorDepth(n), abs));
            close("scalar dot n=" + n, ScalarOps.dot(a, 5, b, 2, n), t, TestTensors.bound(n, abs));
        }
    }

    @Test
    void axpyAddScale() {
        for (int n : SIZES) {
            float[] x = gauss(n + 3, 1), y = gauss(n + 4, 1);
            float a = 0.37f;
            float[] yv = y.clone(), ys = y.clone();
            VectorOps.axpy(a, x, 3, yv, 4, n);
            ScalarOps.axpy(a, x, 3, ys, 4, n);
            for (int i = 0; i < y.length; i++) {
                if (i < 4 || i >= n + 4) {
                    assertThat(yv[i]).isEqualTo(y[i]);
                    continue;
                }
                double t = y[i] + (double) a * x[i - 1];
                double tol = 2 * U * (Math.abs(y[i]) + Math.abs(a * x[i - 1]));
                close("axpy", yv[i], t, tol);
                close("scalar axpy", ys[i], t, tol);
            }
            float[] s1 = y.clone(), s2 = y.clone();
            VectorOps.add(s1, x, n);
            ScalarOps.add(s2, x, n);
            assertThat(s1).containsExactly(s2);
            VectorOps.scale(s1, 1, n, 1.7f);
            ScalarOps.scale(s2, 1, n, 1.7f);
            assertThat(s1).containsExactly(s2);
        }
    }

    @Test
    void rmsnorm() {
        for (int n : SIZES) {
            float[] x = gauss(n + 2, 2), w = gauss(n, 1);
            float eps = 1e-5f;
            double ss = 0;
            for (int i = 0; i < n; i++) ss += (double) x[2 + i] * x[2 + i];
            double inv = 1 / Math.sqrt(ss / n + eps);
            float[] ov = new float[n + 1], os = new float[n + 1];
            VectorOps.rmsnorm(ov, 1, x, 2, w, n, eps);
            ScalarOps.rmsnorm(os, 1, x, 2, w, n, eps);
            for (int i = 0; i < n; i++) {
                double t = x[2 + i] * inv * w[i];
                // sum of squares relative error ≤ depth·u, halved by the square root, plus ~5 roundings
                close("vector rmsnorm n=" + n, ov[1 + i], t, (vectorDepth(n) / 2.0 + 6) * U * Math.abs(t) + Float.MIN_NORMAL);
                close("scalar rmsnorm n=" + n, os[1 + i], t, (n / 2.0 + 6) * U * Math.abs(t) + Float.MIN_NORMAL);
            }
            // in place
            float[] xi = Arrays.copyOf(w, n);
            float[] ref = new float[n];
            VectorOps.rmsnorm(ref, xi, w, eps);
            VectorOps.rmsnorm(xi, xi, w, eps);
            assertThat(xi).containsExactly(ref);
        }
    }

    @Test
    void layernorm() {
        for (int n : SIZES) {
            float[] x = gauss(n + 1, 2), w = gauss(n, 1), b = gauss(n, 1);
            for (int i = 0; i < x.length; i++) x[i] += 3f; // a non-zero mean
            float eps = 1e-5f;
            double mean = 0, absMean = 0;
            for (int i = 0; i < n; i++) {
                mean += x[1 + i];
                absMean += Math.abs(x[1 + i]);
            }
            mean /= n;
            absMean /= n;
            double var = 0;
            for (int i = 0; i < n; i++) var += (x[1 + i] - mean) * (x[1 + i] - mean);
            double inv = 1 / Math.sqrt(var / n + eps);
            for (float[] bias : new float[][] {b, null}) {
                // the engine's one layernorm (both kernel sets use it)
                float[] os = new float[n];
                ScalarOps.layernorm(os, 0, x, 1, w, bias, n, eps);
                for (int i = 0; i < n; i++) {
                    double c = x[1 + i] - mean;
                    double t = c * inv * w[i] + (bias == null ? 0 : bias[i]);
                    // (x − mean) carries u·|x| plus the mean's summation error; the rest is relative.
                    int depth = Math.max(vectorDepth(n), n);
                    double centred = U * Math.abs(x[1 + i]) + depth * U * absMean;
                    double tol = 2 * (centred * inv * Math.abs(w[i]) + (depth + 8) * U * Math.abs(c * inv * w[i]))
                            + 2 * U * Math.abs(t) + Float.MIN_NORMAL;
                    close("scalar layernorm n=" + n, os[i], t, tol);
                }
            }
        }
    }

    @Test
    void softmax() {
        for (int n : SIZES) {
            float[] x = gauss(n + 3, 5);
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) max = Math.max(max, x[3 + i]);
            double sum = 0;
            for (int i = 0; i < n; i++) sum += Math.exp(x[3 + i] - max);
            float[] v = x.clone(), s = x.clone();
            VectorOps.softmax(v, 3, n);
            ScalarOps.softmax(s, 3, n);
            for (int i = 0; i < 3; i++) assertThat(v[i]).isEqualTo(x[i]);
            for (int i = 0; i < n; i++) {
                double t = Math.exp(x[3 + i] - max) / sum;
                // each exp within a few ulps, the sum of positive terms within depth·u, two more roundings
                double rel = (ULPS_TRANSCENDENTAL + Math.max(vectorDepth(n), n) + 4) * U;
                close("softmax n=" + n, v[3 + i], t, rel * t + Float.MIN_VALUE);
                close("scalar softmax n=" + n, s[3 + i], t, rel * t + Float.MIN_VALUE);
            }
        }
        float[] one = {3f};
        VectorOps.softmax(one, 0, 1);
        assertThat(one[0]).isEqualTo(1f);
    }

    @Test
    void siluSwigluGelu() {
        for (int n : SIZES) {
            float[] x = gauss(n + 2, 4), up = gauss(n, 1);
            float[] sv = x.clone(), ss = x.clone(), gv = x.clone(), gs = x.clone();
            VectorOps.silu(sv, 2, n);
            ScalarOps.silu(ss, 2, n);
            VectorOps.gelu(gv, 2, n);
            ScalarOps.gelu(gs, 2, n);
            float[] wv = Arrays.copyOfRange(x, 2, n + 2), ws = wv.clone();
            VectorOps.swiglu(wv, up, n);
            ScalarOps.swiglu(ws, up, n);
            for (int i = 0; i < n; i++) {
                double v = x[2 + i];
                double silu = v / (1 + Math.exp(-v));
                double tolS = (ULPS_TRANSCENDENTAL + 4) * U * Math.abs(silu) + Float.MIN_NORMAL;
                close("silu(" + v + ")", sv[2 + i], silu, tolS);
                close("scalar silu", ss[2 + i], silu, tolS);
                double sw = silu * up[i];
                double tolW = (ULPS_TRANSCENDENTAL + 6) * U * Math.abs(sw) + Float.MIN_NORMAL;
                close("swiglu", wv[i], sw, tolW);
                close("scalar swiglu", ws[i], sw, tolW);
                double inner = Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v);
                double gelu = 0.5 * v * (1 + Math.tanh(inner));
                // 1 + tanh cancels for negative v: the error is absolute, about |v|·(ulps of tanh + inner's roundings)
                double tolG = (ULPS_TRANSCENDENTAL + 8) * U * (Math.abs(gelu) + Math.abs(v) * (1 + Math.abs(inner)));
                close("gelu(" + v + ")", gv[2 + i], gelu, tolG + Float.MIN_NORMAL);
                close("scalar gelu", gs[2 + i], gelu, tolG + Float.MIN_NORMAL);
            }
            assertThat(sv[0]).isEqualTo(x[0]);
            assertThat(gv[1]).isEqualTo(x[1]);
        }
    }

    /** Exact GELU x·Φ(x) against tabulated Φ at exactly representable x, to the float rounding of the result. */
    @Test
    void geluErfScalarReference() {
        double[][] ref = {{1, 0.8413447460685429}, {-2, 0.022750131948179195}, {-3, 0.0013498980316300946},
                {0.5, 0.6914624612740131}, {2.5, 0.9937903346742238}, {-6, 9.865876450376982e-10}, {0, 0.5}};
        float[] x = new float[ref.length + 1];
        for (int i = 0; i < ref.length; i++) x[1 + i] = (float) ref[i][0];
        float[] y = x.clone();
        ScalarOps.geluErf(y, 1, ref.length);
        for (int i = 0; i < ref.length; i++) {
            double want = x[1 + i] * ref[i][1];
            close("geluErf(" + x[1 + i] + ")", y[1 + i], want, 2 * U * Math.abs(want) + Float.MIN_VALUE);
        }
        assertThat(y[0]).isEqualTo(x[0]);
    }
}
