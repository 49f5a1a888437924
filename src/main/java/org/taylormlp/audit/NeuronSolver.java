package org.taylormlp.audit;

import org.taylormlp.model.ModelConfig;
import org.taylormlp.taylor.ActivationSeries;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Zero-query inversion of one protected neuron. A release stores, for neuron j, the N+1 coefficient columns
 * {@code c_n = w · a_n(z0) · rⁿ} (w = the hidden W_down column, a_n = σ⁽ⁿ⁾/n!, r the scale, z0 the expansion point),
 * so the [dim × (N+1)] block is rank 1 and its column weights {@code k_n ∝ a_n(z0) rⁿ} are a known two-parameter
 * family. The solver:
 * <ol>
 *   <li>takes the rank-1 factor: a unit direction ŵ (sign-aligned mean of the normalised columns) and
 *       {@code k̂_n = c_n·ŵ}; the rank-1 residual {@code max_n ‖c_n − k̂_n ŵ‖/‖c_n‖} is reported;</li>
 *   <li>finds (z0, r) minimising the relative misfit {@code Σ_n ((μ a_n(z0) rⁿ − k̂_n)/k̂_n)²} with the scale μ
 *       projected out in closed form (variable projection) — closed form (log-linear regression for log r) when
 *       z0 is published; a 1-D search over r with z0 = −β·r when z0 is hidden in a gated MLP (the stored bias is
 *       β = −z0/r there); a 1-D search over z0 on the r-free ratios {@code k_n k_{n−2}/k_{n−1}²} for ungated MLPs;
 *       then Gauss–Newton polishing of (z0, log r) when N ≥ 3 leaves data to spare;</li>
 *   <li>returns w = μ·ŵ. The split w·λ, k/λ of a rank-1 factor is not ambiguous here: λ is fixed because the
 *       k_n must equal a_n(z0)·rⁿ exactly. A negative r is tried too (an owner could flip signs); if both signs
 *       fit equally well the neuron is flagged ambiguous.</li>
 * </ol>
 */
final class NeuronSolver {
    private final ModelConfig.Activation act;
    private final int order;

    NeuronSolver(ModelConfig.Activation act, int order) {
        this.act = act;
        this.order = order;
    }

    /** Where the expansion point comes from. */
    enum Mode { PUBLISHED, HIDDEN_GATED, HIDDEN_UNGATED }

    /**
     * @param z0        expansion point (published), NaN if hidden
     * @param rmsFit    root-mean-square relative misfit of k̂_n to μ a_n(z0) rⁿ at the solution
     * @param rank1     largest relative distance of a column from the rank-1 fit
     * @param ambiguous both signs of r fit equally well (never for SiLU/GELU with N ≥ 2 in practice)
     */
    record Fit(boolean ok, double z0, double r, double[] w, double rmsFit, double rank1, boolean ambiguous, String method) {
        static Fit failed(String why, double rank1) {
            return new Fit(false, Double.NaN, Double.NaN, null, Double.NaN, rank1, false, why);
        }
    }

    /**
     * @param cols   the neuron's coefficient columns, cols[n][i] for n = 0..N, i = 0..dim-1
     * @param beta   the stored input bias ((b − z0)/r)
     * @param z0pub  the published z0 (float-rounded), or NaN
     */
    Fit solve(double[][] cols, double beta, double z0pub, Mode mode) {
        int n1 = cols.length, dim = cols[0].length;
        // ---- rank-1 factor
        double[] norms = new double[n1];
        int ref = -1;
        for (int n = 0; n < n1; n++) {
            double s = 0;
            for (double v : cols[n]) s += v * v;
            if (!Double.isFinite(s)) return Fit.failed("non-finite coefficients", Double.NaN);
            norms[n] = Math.sqrt(s);
            if (ref < 0 || norms[n] > norms[ref]) ref = n;
        }
        if (norms[ref] == 0) return Fit.failed("all coefficients zero", Double.NaN);
        double[] what = new double[dim];
        boolean[] use = new boolean[n1];
        int used = 0;
        for (int n = 0; n < n1; n++) {
            // columns whose entries may be subnormal in float lose relative precision: leave them out
            if (norms[n] < 1e-30 * Math.sqrt(dim)) continue;
            double dot = 0;
            for (int i = 0; i < dim; i++) dot += cols[n][i] * cols[ref][i];
            double sgn = Math.signum(dot) / norms[n];
            for (int i = 0; i < dim; i++) what[i] += sgn * cols[n][i];
            use[n] = true;
            used++;
        }
        double wn = 0;
        for (double v : what) wn += v * v;
        wn = Math.sqrt(wn);
        for (int i = 0; i < dim; i++) what[i] /= wn;
        double[] k = new double[n1];
        double rank1 = 0;
        for (int n = 0; n < n1; n++) {
            if (!use[n]) continue;
            double dot = 0;
            for (int i = 0; i < dim; i++) dot += cols[n][i] * what[i];
            k[n] = dot;
            double res = 0;
            for (int i = 0; i < dim; i++) {
                double d = cols[n][i] - dot * what[i];
                res += d * d;
            }
            rank1 = Math.max(rank1, Math.sqrt(res) / norms[n]);
        }
        Problem p = new Problem(k, use);

        // ---- (z0, r): starting points from a mode-specific search on a robust objective, then refine()
        List<double[]> starts = new ArrayList<>(); // {z0, r}
        String method;
        switch (mode) {
            case PUBLISHED -> {
                method = "closed form (z0 published)";
                double lr = p.logRegression(z0pub);
                if (!Double.isNaN(lr)) for (int sgn = 1; sgn >= -1; sgn -= 2) starts.add(new double[]{z0pub, sgn * Math.exp(lr)});
            }
            case HIDDEN_GATED -> {
                method = "1-D solve for r, z0 = -bias*r (z0 hidden)";
                int grid = 481;
                for (int sgn = 1; sgn >= -1; sgn -= 2) {
                    double[] rs = new double[grid], f = new double[grid];
                    for (int g = 0; g < grid; g++) {
                        rs[g] = sgn * Math.exp(Math.log(1e-4) + g * (Math.log(1e4) - Math.log(1e-4)) / (grid - 1));
                        f[g] = p.robustMisfit(-beta * rs[g], rs[g]);
                    }
                    for (int g : bestMinima(f, 3)) starts.add(new double[]{-beta * rs[g], rs[g]});
                }
            }
            default -> {
                method = "1-D solve for z0 on r-free ratios (z0 and bias hidden)";
                if (used < 3) return Fit.failed("underdetermined: fewer than 3 usable orders with z0 hidden", rank1);
                // r and μ cancel in k_n k_{n-2} / k_{n-1}^2: scan z0 on that, r by regression at each minimum
                int grid = 601;
                double[] f = new double[grid];
                for (int g = 0; g < grid; g++) f[g] = p.ratioMisfit(-30 + g * 0.1);
                for (int g : bestMinima(f, 4)) {
                    double z0 = -30 + g * 0.1, lr = p.logRegression(z0);
                    if (!Double.isNaN(lr)) for (int sgn = 1; sgn >= -1; sgn -= 2) starts.add(new double[]{z0, sgn * Math.exp(lr)});
                }
            }
        }
        double[] best = null; // {z0, r, F}
        double otherSignF = Double.POSITIVE_INFINITY;
        for (double[] st : starts) {
            double[] cand = refine(p, st, beta, mode);
            if (cand == null) continue;
            if (best == null || cand[2] < best[2]) {
                if (best != null && Math.signum(best[1]) != Math.signum(cand[1])) otherSignF = Math.min(otherSignF, best[2]);
                best = cand;
            } else if (Math.signum(best[1]) != Math.signum(cand[1])) {
                otherSignF = Math.min(otherSignF, cand[2]);
            }
        }
        if (best == null || !Double.isFinite(best[2])) return Fit.failed("no finite fit of (z0, r)", rank1);
        double mu = p.mu(best[0], best[1]);
        double[] w = new double[dim];
        for (int i = 0; i < dim; i++) w[i] = mu * what[i];
        int terms = p.terms();
        double rms = Math.sqrt(best[2] / Math.max(1, terms));
        boolean ambiguous = otherSignF <= 4 * best[2] + 1e-24;
        return new Fit(true, best[0], best[1], w, rms, rank1, ambiguous, method);
    }

    /**
     * Polishes a start: first on the orders that already agree with it (a coefficient near a zero of a_n(z0) is so
     * sensitive to z0 that it would dominate the fit far from the solution), then on all usable orders.
     * Returns {z0, r, F} with F the full relative misfit, or null.
     */
    private double[] refine(Problem p, double[] start, double beta, Mode mode) {
        double[] cur = {start[0], start[1], p.misfit(start[0], start[1])};
        double[] rho = p.ratiosToMedian(start[0], start[1]);
        if (rho != null) {
            boolean[] mask = p.use.clone();
            int kept = 0;
            for (int n = 0; n < mask.length; n++) {
                if (mask[n] && Math.abs(rho[n] - 1) > 0.05) mask[n] = false;
                if (mask[n]) kept++;
            }
            if (kept >= 3 && kept < p.terms()) {
                Problem q = new Problem(p.k, mask);
                double[] t = q.polish(new double[]{cur[0], cur[1], q.misfit(cur[0], cur[1])}, beta, mode);
                cur = new double[]{t[0], t[1], p.misfit(t[0], t[1])};
            }
        }
        double[] r = p.polish(cur, beta, mode);
        return Double.isFinite(r[2]) ? r : null;
    }

    /** Indices of the (up to) {@code count} smallest local minima of f. */
    private static List<Integer> bestMinima(double[] f, int count) {
        List<Integer> minima = new ArrayList<>();
        for (int g = 0; g < f.length; g++) {
            boolean left = g == 0 || f[g] <= f[g - 1], right = g == f.length - 1 || f[g] <= f[g + 1];
            if (left && right && Double.isFinite(f[g])) minima.add(g);
        }
        minima.sort(Comparator.comparingDouble(g -> f[g]));
        return minima.subList(0, Math.min(count, minima.size()));
    }

    /** The fitting problem of one neuron: k̂_n on the usable orders. */
    private final class Problem {
        final double[] k;
        final boolean[] use;

        Problem(double[] k, boolean[] use) {
            this.k = k;
            this.use = use;
        }

        int terms() {
            int c = 0;
            for (boolean u : use) if (u) c++;
            return c;
        }

        /** p_n = a_n rⁿ / |k̂_n|; returns {Σ p s, Σ p²} or null if not finite. */
        private double[] sums(double z0, double r) {
            if (!Double.isFinite(z0) || !Double.isFinite(r) || Math.abs(z0) > 1e4) return null;
            double[] a = FastSeries.coefficients(act, z0, order);
            double ps = 0, pp = 0, rn = 1;
            for (int n = 0; n < k.length; n++) {
                if (use[n]) {
                    double pn = a[n] * rn / Math.abs(k[n]);
                    ps += pn * Math.signum(k[n]);
                    pp += pn * pn;
                }
                rn *= r;
            }
            if (!Double.isFinite(ps) || !Double.isFinite(pp)) return null;
            return new double[]{ps, pp};
        }

        /** Σ_n (μ* p_n − s_n)² with the best μ*, summed from the residuals (no cancellation near the optimum). */
        double misfit(double z0, double r) {
            double[] e = residuals(z0, r);
            if (e == null) return Double.POSITIVE_INFINITY;
            double f = dot(e, e);
            return Double.isFinite(f) ? f : Double.POSITIVE_INFINITY;
        }

        double mu(double z0, double r) {
            double[] a = ActivationSeries.coefficients(act, z0, order);
            // least squares with relative weights: μ = Σ (a_n rⁿ k̂_n / k̂_n²) / Σ (a_n rⁿ / k̂_n)²
            double num = 0, den = 0, rn = 1;
            for (int n = 0; n < k.length; n++) {
                if (use[n]) {
                    double pn = a[n] * rn / (k[n] * k[n]);
                    num += pn * k[n];
                    den += pn * a[n] * rn;
                }
                rn *= r;
            }
            return num / den;
        }

        /**
         * log|r| by linear least squares of log|k̂_n| − log|a_n(z0)| on n, refitted once without the orders whose residual
         * is far above the median (near a zero of a_n the log is wild); NaN if fewer than 2 usable orders.
         */
        double logRegression(double z0) {
            double[] a = FastSeries.coefficients(act, z0, order);
            double[] y = new double[k.length];
            boolean[] in = new boolean[k.length];
            for (int n = 0; n < k.length; n++) {
                in[n] = use[n] && a[n] != 0 && Double.isFinite(a[n]);
                if (in[n]) y[n] = Math.log(Math.abs(k[n])) - Math.log(Math.abs(a[n]));
            }
            double[] fit = line(y, in);
            if (fit == null) return Double.NaN;
            double[] res = new double[k.length];
            int c = 0;
            for (int n = 0; n < k.length; n++) if (in[n]) res[c++] = Math.abs(y[n] - fit[0] - fit[1] * n);
            double[] sorted = java.util.Arrays.copyOf(res, c);
            java.util.Arrays.sort(sorted);
            double cut = Math.max(3 * sorted[c / 2], 1e-6);
            boolean[] keep = in.clone();
            for (int n = 0; n < k.length; n++) if (keep[n] && Math.abs(y[n] - fit[0] - fit[1] * n) > cut) keep[n] = false;
            double[] refit = line(y, keep);
            return refit == null ? fit[1] : refit[1];
        }

        private double[] line(double[] y, boolean[] in) {
            double sx = 0, sy = 0, sxx = 0, sxy = 0;
            int c = 0;
            for (int n = 0; n < y.length; n++) {
                if (!in[n]) continue;
                sx += n;
                sy += y[n];
                sxx += (double) n * n;
                sxy += n * y[n];
                c++;
            }
            if (c < 2) return null;
            double det = c * sxx - sx * sx;
            if (det == 0) return null;
            double slope = (c * sxy - sx * sy) / det;
            return new double[]{(sy - slope * sx) / c, slope};
        }

        /** Σ_n d_n² with d_n = (A − B)/(|A| + |B|), A = k_n k_{n−2} a_{n−1}², B = a_n a_{n−2} k_{n−1}²: free of r and μ. */
        double ratioMisfit(double z0) {
            double[] a = FastSeries.coefficients(act, z0, order);
            double f = 0;
            for (int n = 2; n < k.length; n++) {
                if (!use[n] || !use[n - 1] || !use[n - 2]) continue;
                double x = k[n] * k[n - 2] * a[n - 1] * a[n - 1], y = a[n] * a[n - 2] * k[n - 1] * k[n - 1];
                double den = Math.abs(x) + Math.abs(y);
                if (den == 0 || !Double.isFinite(den)) {
                    f += 1; // no information (underflow/overflow): as bad as the worst disagreement
                    continue;
                }
                double d = (x - y) / den;
                f += d * d;
            }
            return f;
        }

        /** k̂_n / (a_n rⁿ) divided by their median, per order (NaN where unusable); null if none. */
        double[] ratiosToMedian(double z0, double r) {
            if (!Double.isFinite(z0) || !Double.isFinite(r)) return null;
            double[] a = FastSeries.coefficients(act, z0, order);
            double[] rho = new double[k.length];
            double[] vals = new double[k.length];
            int c = 0;
            double rn = 1;
            for (int n = 0; n < k.length; n++) {
                rho[n] = Double.NaN;
                double pred = a[n] * rn;
                if (use[n] && pred != 0 && Double.isFinite(pred)) {
                    rho[n] = k[n] / pred;
                    vals[c++] = rho[n];
                }
                rn *= r;
            }
            if (c == 0) return null;
            double[] v = java.util.Arrays.copyOf(vals, c);
            java.util.Arrays.sort(v);
            double med = c % 2 == 1 ? v[c / 2] : 0.5 * (v[c / 2 - 1] + v[c / 2]);
            if (med == 0 || !Double.isFinite(med)) return null;
            for (int n = 0; n < k.length; n++) rho[n] /= med;
            return rho;
        }

        /** Σ_n min((ρ_n − 1)², 1) with ρ_n = k̂_n/(μ a_n rⁿ) for the median μ: insensitive to a few wild orders. */
        double robustMisfit(double z0, double r) {
            double[] rho = ratiosToMedian(z0, r);
            if (rho == null) return Double.POSITIVE_INFINITY;
            double f = 0;
            for (int n = 0; n < k.length; n++) {
                if (!use[n]) continue;
                f += Double.isNaN(rho[n]) ? 1 : Math.min(1, (rho[n] - 1) * (rho[n] - 1));
            }
            return f;
        }

        /** The residual vector e_n = μ* p_n − s_n. */
        private double[] residuals(double z0, double r) {
            double[] s = sums(z0, r);
            if (s == null || s[1] == 0) return null;
            double mu = s[0] / s[1];
            double[] a = FastSeries.coefficients(act, z0, order);
            double[] e = new double[terms()];
            double rn = 1;
            int i = 0;
            for (int n = 0; n < k.length; n++) {
                if (use[n]) e[i++] = mu * a[n] * rn / Math.abs(k[n]) - Math.signum(k[n]);
                rn *= r;
            }
            return e;
        }

        /**
         * Gauss–Newton on (z0, log|r|) from {@code start} = {z0, r, F}: first along the mode's constraint (z0 fixed
         * if published, z0 = −β r if gated and hidden, both free if ungated), then — with N ≥ 3 — both free.
         * Keeps the best point seen.
         */
        double[] polish(double[] start, double beta, Mode mode) {
            double[] best = start.clone();
            double sgn = Math.signum(start[1]);
            for (int stage = 0; stage < 2; stage++) {
                boolean free = stage == 1 || mode == Mode.HIDDEN_UNGATED;
                if (stage == 1 && terms() < 4) break;
                double z0 = best[0], lr = Math.log(Math.abs(best[1]));
                double lambda = 1e-3;
                for (int it = 0; it < 60; it++) {
                    double r = sgn * Math.exp(lr);
                    double z = free ? z0 : (mode == Mode.HIDDEN_GATED ? -beta * r : z0);
                    double[] e = residuals(z, r);
                    if (e == null) break;
                    double f0 = dot(e, e);
                    int np = free ? 2 : 1;
                    double[][] jac = new double[np][];
                    double hl = 1e-6, hz = 1e-6 * Math.max(1, Math.abs(z));
                    double rp = sgn * Math.exp(lr + hl), rm = sgn * Math.exp(lr - hl);
                    double[] ep, em;
                    if (free) {
                        ep = residuals(z, rp);
                        em = residuals(z, rm);
                    } else if (mode == Mode.HIDDEN_GATED) {
                        ep = residuals(-beta * rp, rp);
                        em = residuals(-beta * rm, rm);
                    } else {
                        ep = residuals(z, rp);
                        em = residuals(z, rm);
                    }
                    if (ep == null || em == null) break;
                    jac[0] = diff(ep, em, 2 * hl);
                    if (free) {
                        double[] zp = residuals(z + hz, r), zm = residuals(z - hz, r);
                        if (zp == null || zm == null) break;
                        jac[1] = diff(zp, zm, 2 * hz);
                    }
                    // normal equations (JᵀJ + λ diag) δ = −Jᵀe
                    double[][] a = new double[np][np];
                    double[] g = new double[np];
                    for (int i = 0; i < np; i++) {
                        g[i] = -dot(jac[i], e);
                        for (int j = 0; j < np; j++) a[i][j] = dot(jac[i], jac[j]);
                    }
                    boolean improved = false;
                    for (int tries = 0; tries < 8 && !improved; tries++) {
                        double[] d = solveSmall(a, g, lambda);
                        if (d == null) break;
                        double nlr = lr + d[0], nz = free ? z + d[1] : z;
                        double nr = sgn * Math.exp(nlr);
                        double nzz = free ? nz : (mode == Mode.HIDDEN_GATED ? -beta * nr : z0);
                        double f1 = misfit(nzz, nr);
                        if (f1 < f0) {
                            lr = nlr;
                            z0 = nzz;
                            improved = true;
                            lambda = Math.max(lambda / 10, 1e-12);
                            if (f1 < best[2]) best = new double[]{nzz, nr, f1};
                            if (f0 - f1 <= 1e-12 * f0) it = 1000; // converged
                        } else {
                            lambda *= 10;
                        }
                    }
                    if (!improved) break;
                    if (!free && mode == Mode.HIDDEN_GATED) z0 = -beta * sgn * Math.exp(lr);
                }
            }
            return best;
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double[] diff(double[] p, double[] m, double h) {
        double[] d = new double[p.length];
        for (int i = 0; i < p.length; i++) d[i] = (p[i] - m[i]) / h;
        return d;
    }

    private static double[] solveSmall(double[][] a, double[] g, double lambda) {
        int n = g.length;
        if (n == 1) {
            double den = a[0][0] * (1 + lambda);
            return den == 0 || !Double.isFinite(den) ? null : new double[]{g[0] / den};
        }
        double a00 = a[0][0] * (1 + lambda), a11 = a[1][1] * (1 + lambda), a01 = a[0][1];
        double det = a00 * a11 - a01 * a01;
        if (det == 0 || !Double.isFinite(det)) return null;
        return new double[]{(g[0] * a11 - a01 * g[1]) / det, (a00 * g[1] - a01 * g[0]) / det};
    }
}
