package org.taylormlp.audit;

import java.util.stream.IntStream;

/** The little dense linear algebra the attacks need, in double. */
final class Linalg {
    private Linalg() {}

    /** G += Hᵀ H over rows [from, to) of H [rows × m] (upper triangle then mirrored by {@link #symmetrize}). */
    static void accumulateGram(double[] g, double[] h, int m, int from, int to) {
        IntStream.range(0, m).parallel().forEach(i -> {
            for (int t = from; t < to; t++) {
                double hi = h[t * m + i];
                if (hi == 0) continue;
                int o = t * m;
                for (int j = i; j < m; j++) g[i * m + j] += hi * h[o + j];
            }
        });
    }

    static void symmetrize(double[] g, int m) {
        for (int i = 0; i < m; i++) for (int j = 0; j < i; j++) g[i * m + j] = g[j * m + i];
    }

    /** B += Hᵀ Y over rows [from, to): H [rows × m], Y [rows × d], B [m × d]. */
    static void accumulateCross(double[] b, double[] h, double[] y, int m, int d, int from, int to) {
        IntStream.range(0, m).parallel().forEach(i -> {
            for (int t = from; t < to; t++) {
                double hi = h[t * m + i];
                if (hi == 0) continue;
                int o = t * d;
                for (int k = 0; k < d; k++) b[i * d + k] += hi * y[o + k];
            }
        });
    }

    /**
     * Solves (G + λI) X = B for X [m × d] by Cholesky, with λ = ridge·mean(diag G), raising the ridge ×100 until the
     * factorisation succeeds. Returns the ridge factor used in out[0].
     */
    static double[] solveSpd(double[] gIn, double[] bIn, int m, int d, double ridge, double[] ridgeUsed) {
        double mean = 0;
        for (int i = 0; i < m; i++) mean += gIn[i * m + i];
        mean = m == 0 ? 1 : Math.max(mean / m, Double.MIN_NORMAL);
        for (double rf = ridge; rf < 1e3; rf *= 100) {
            double[] l = gIn.clone();
            double lam = rf * mean;
            for (int i = 0; i < m; i++) l[i * m + i] += lam;
            if (cholesky(l, m)) {
                double[] x = bIn.clone();
                // L Lᵀ X = B: forward then backward substitution, column by column of B (rows of X are length d)
                for (int i = 0; i < m; i++) {
                    for (int k = 0; k < i; k++) {
                        double lik = l[i * m + k];
                        if (lik == 0) continue;
                        for (int c = 0; c < d; c++) x[i * d + c] -= lik * x[k * d + c];
                    }
                    double inv = 1 / l[i * m + i];
                    for (int c = 0; c < d; c++) x[i * d + c] *= inv;
                }
                for (int i = m - 1; i >= 0; i--) {
                    for (int k = i + 1; k < m; k++) {
                        double lki = l[k * m + i];
                        if (lki == 0) continue;
                        for (int c = 0; c < d; c++) x[i * d + c] -= lki * x[k * d + c];
                    }
                    double inv = 1 / l[i * m + i];
                    for (int c = 0; c < d; c++) x[i * d + c] *= inv;
                }
                if (ridgeUsed != null) ridgeUsed[0] = rf;
                return x;
            }
        }
        return null;
    }

    /** In-place lower Cholesky factor of a symmetric matrix; false if not positive definite. */
    static boolean cholesky(double[] a, int n) {
        for (int j = 0; j < n; j++) {
            double s = a[j * n + j];
            for (int k = 0; k < j; k++) s -= a[j * n + k] * a[j * n + k];
            if (!(s > 0)) return false;
            double ljj = Math.sqrt(s);
            a[j * n + j] = ljj;
            final int jj = j;
            IntStream rows = IntStream.range(j + 1, n);
            (n - j > 128 ? rows.parallel() : rows).forEach(i -> {
                double v = a[i * n + jj];
                for (int k = 0; k < jj; k++) v -= a[i * n + k] * a[jj * n + k];
                a[i * n + jj] = v / ljj;
            });
            for (int k = j + 1; k < n; k++) a[j * n + k] = 0;
        }
        return true;
    }
}
