package org.taylormlp.audit;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.nn.Ops;
import org.taylormlp.taylor.ActivationSeries;
import org.taylormlp.taylor.ReleaseReader;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Attack 2: regression recovery (the ThatE10 / "linear regression on activations" attack). The release is run on T
 * tokens of public text; each layer's feed-forward inputs x and outputs y are recorded. The clear neurons' part of
 * y is subtracted (their weights are published), and the protected part is linear in the unknown W_down columns:
 * {@code y_S = W_down[:, S] · h(x)} with {@code h_j(x) = u_j(x) · Σ_n a_n(z0_j) r_jⁿ t_j(x)ⁿ}, t_j and u_j computed
 * from the published taylor_in/taylor_up and (z0_j, r_j) taken from the zero-query attack's input-side solve. Least
 * squares gives W_down[:, S]; it uses the coefficient matrix only through the running model. Reported: the error
 * against the original (when given) and against the zero-query recovery, versus T.
 */
final class RegressionAttack implements Attack {
    /** Relative error below which the regression counts as "recovered" (limited by float32 activations). */
    static final double TOLERANCE = 1e-4;

    @Override
    public String id() { return "regression"; }

    @Override
    public String title() { return "Attack 2: regression on recorded feed-forward activations"; }

    @Override
    public AuditReport.Regression run(AuditContext ctx) {
        if (ctx.recovered == null) throw new TaylorMlpException("regression attack needs the zero-query attack's input-side solve");
        long t0 = System.nanoTime();
        ModelConfig c = ctx.config();
        ReleaseReader.Info info = ctx.info();
        int maxT = ctx.options().maxRegressionTokens();
        FfnRecorder.Trace[] traces = FfnRecorder.record(ctx.releaseModel(), ctx.release.kernels(), ctx.text, maxT, ctx.release.transformer().maxContext());
        int have = traces[0].tokens();
        double recordSeconds = (System.nanoTime() - t0) / 1e9;
        int[] ts = Arrays.stream(ctx.options().regressionTokens()).filter(t -> t > 0 && t <= have).sorted().distinct().toArray();
        if (ts.length == 0 || ts[ts.length - 1] < have) {
            ts = Arrays.copyOf(ts, ts.length + 1);
            ts[ts.length - 1] = have;
        }
        boolean scored = ctx.original() != null && ctx.matching != null;
        double[] errOrig = new double[ts.length], normOrig = new double[ts.length], errZq = new double[ts.length], normZq = new double[ts.length];
        int dim = c.dim();
        List<AuditReport.RegressionLayer> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            int m = info.protectedPerLayer()[l];
            if (m == 0) continue;
            ReleaseLayer rl = ReleaseLayer.read(ctx.releaseModel(), l);
            RecoveredWeights.Layer rec = ctx.recovered.layers.get(l);
            FfnRecorder.Trace tr = traces[l];
            int T = tr.tokens();
            double[] h = new double[T * m], ys = new double[T * dim];
            double[][] coef = new double[m][];
            for (int j = 0; j < m; j++) {
                NeuronSolver.Fit f = rec.fits[j];
                if (!f.ok()) continue;
                double[] a = ActivationSeries.coefficients(c.activation(), f.z0(), info.order());
                double rn = 1;
                for (int n = 0; n < a.length; n++) {
                    a[n] *= rn;
                    rn *= f.r();
                }
                coef[j] = a;
            }
            java.util.stream.IntStream.range(0, T).parallel().forEach(t -> features(c, rl, coef, tr, t, h, ys, m));
            double[] g = new double[m * m], b = new double[m * dim];
            Scoring.OriginalLayer o = scored ? Scoring.OriginalLayer.read(ctx.original().model(), l) : null;
            List<AuditReport.LayerSweepPoint> sweep = new ArrayList<>();
            int from = 0;
            for (int k = 0; k < ts.length; k++) {
                int to = Math.min(ts[k], T);
                Linalg.accumulateGram(g, h, m, from, to);
                Linalg.accumulateCross(b, h, ys, m, dim, from, to);
                from = to;
                double[] gs = g.clone();
                Linalg.symmetrize(gs, m);
                double[] ridge = new double[1];
                double[] x = Linalg.solveSpd(gs, b, m, dim, 1e-13, ridge);
                if (x == null) {
                    sweep.add(new AuditReport.LayerSweepPoint(to, "normal equations not solvable", Double.NaN, Double.NaN, Double.NaN));
                    errZq[k] = Double.NaN;
                    continue;
                }
                double ez = 0, nz = 0, eo = 0, no = 0;
                for (int j = 0; j < m; j++) {
                    double[] wo = scored ? o.downColumn(ctx.matching[l][j]) : null;
                    for (int i = 0; i < dim; i++) {
                        double est = x[j * dim + i];
                        double zq = rec.down[i * rec.hidden + rec.index(j)];
                        ez += (est - zq) * (est - zq);
                        nz += zq * zq;
                        if (wo != null) {
                            eo += (est - wo[i]) * (est - wo[i]);
                            no += wo[i] * wo[i];
                        }
                    }
                }
                errZq[k] += ez;
                normZq[k] += nz;
                errOrig[k] += eo;
                normOrig[k] += no;
                sweep.add(new AuditReport.LayerSweepPoint(to, null, Math.sqrt(ez / nz), scored ? Math.sqrt(eo / no) : Double.NaN, ridge[0]));
            }
            layers.add(new AuditReport.RegressionLayer(l, m, List.copyOf(sweep)));
        }
        List<AuditReport.SweepPoint> sweep = new ArrayList<>();
        Integer needed = null;
        for (int k = 0; k < ts.length; k++) {
            double ez = Math.sqrt(errZq[k] / normZq[k]);
            double eo = scored ? Math.sqrt(errOrig[k] / normOrig[k]) : Double.NaN;
            double score = scored ? eo : ez;
            if (needed == null && score <= TOLERANCE) needed = ts[k];
            sweep.add(new AuditReport.SweepPoint(ts[k], ez, eo));
        }
        return new AuditReport.Regression(scored, ctx.textSource, TOLERANCE, have, recordSeconds, (System.nanoTime() - t0) / 1e9,
                needed, List.copyOf(layers), List.copyOf(sweep));
    }

    /** Features h[t, j] and the protected part of the output ys[t, :] for token t. */
    private static void features(ModelConfig c, ReleaseLayer rl, double[][] coef, FfnRecorder.Trace tr, int t, double[] h, double[] ys, int m) {
        int dim = c.dim(), clear = rl.clear();
        float[] x = tr.x();
        int xo = t * dim;
        for (int j = 0; j < m; j++) {
            if (coef[j] == null) continue;
            double tj = rl.inBias()[j], uj = 1;
            for (int k = 0; k < dim; k++) tj += (double) rl.in()[j * dim + k] * x[xo + k];
            if (rl.up() != null) {
                uj = 0;
                for (int k = 0; k < dim; k++) uj += (double) rl.up()[j * dim + k] * x[xo + k];
            }
            h[t * m + j] = uj * ActivationSeries.evalTaylor(coef[j], tj);
        }
        protectedTarget(c, rl, tr.x(), tr.y(), t, ys);
    }

    /**
     * ys[t, :] = y − (clear neurons' contribution) − down bias: the part of the recorded output that the protected
     * neurons produce. Everything subtracted is published in the release.
     */
    static void protectedTarget(ModelConfig c, ReleaseLayer rl, float[] xs, float[] yv, int t, double[] ys) {
        int dim = c.dim(), clear = rl.clear(), xo = t * dim;
        float[] x = xs;
        for (int i = 0; i < dim; i++) ys[t * dim + i] = yv[xo + i] - (rl.downBias() == null ? 0 : rl.downBias()[i]);
        if (clear > 0) {
            double[] act = new double[clear];
            for (int q = 0; q < clear; q++) {
                double u = 0, g = 0;
                for (int k = 0; k < dim; k++) u += (double) rl.clearUp()[q * dim + k] * x[xo + k];
                if (rl.clearUpBias() != null) u += rl.clearUpBias()[q];
                if (rl.clearGate() != null) {
                    for (int k = 0; k < dim; k++) g += (double) rl.clearGate()[q * dim + k] * x[xo + k];
                    act[q] = activation(c, g) * u;
                } else {
                    act[q] = activation(c, u);
                }
            }
            for (int i = 0; i < dim; i++) {
                double s = 0;
                for (int q = 0; q < clear; q++) s += rl.clearDown()[i * clear + q] * act[q];
                ys[t * dim + i] -= s;
            }
        }
    }

    static double activation(ModelConfig c, double z) {
        return switch (c.activation()) {
            case SILU -> Ops.silu((float) z);
            case GELU_TANH -> Ops.geluTanh((float) z);
            case GELU_ERF -> Ops.geluErf((float) z);
        };
    }
}
