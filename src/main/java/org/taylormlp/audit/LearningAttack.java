package org.taylormlp.audit;

import org.taylormlp.runtime.Progress;
import org.taylormlp.runtime.TextData;
import org.taylormlp.eval.Fidelity;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.model.TensorNames;
import org.taylormlp.nn.DenseFeedForward;
import org.taylormlp.nn.FeedForward;
import org.taylormlp.nn.Transformer;
import org.taylormlp.taylor.ActivationSeries;
import org.taylormlp.taylor.ReleaseReader;
import org.taylormlp.tensor.Kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * Attack 4: the paper's learning-based attacker, at small scale. For each layer, a freshly initialised MLP with as
 * many hidden neurons as the layer protects is trained (Adam, mean squared error) to imitate the release's protected
 * part (the release's feed-forward output minus the published clear neurons) on the feed-forward inputs the release
 * produces on a data budget of 1 %, 10 %, 100 % of a text pool. The students replace the protected parts and the
 * resulting model's fidelity (teacher-forced agreement with the original, or with the release when no original is
 * given) is measured on held-out text. This is the attack the paper evaluated; attacks 1–3 show it is not the
 * strongest one.
 */
final class LearningAttack implements Attack {
    @Override
    public String id() { return "learning"; }

    @Override
    public String title() { return "Attack 4: learning-based imitation (the paper's attacker, small scale)"; }

    @Override
    public AuditReport.Learning run(AuditContext ctx) {
        long t0 = System.nanoTime();
        ModelConfig c = ctx.config();
        ReleaseReader.Info info = ctx.info();
        AuditOptions opt = ctx.options();
        List<int[]> eval = SpeedupAttack.evalSequences(ctx);
        List<int[]> pool = new ArrayList<>(ctx.text.subList(0, ctx.text.size() - eval.size()));
        if (TextData.tokenCount(pool) < 8) pool = ctx.text; // tiny texts: train and evaluate on the same tokens (reported)
        boolean overlap = pool == ctx.text;
        int poolTokens = (int) Math.min(opt.learnPoolTokens(), TextData.tokenCount(pool));
        int maxCtx = ctx.release.transformer().maxContext();
        FfnRecorder.Trace[] train = FfnRecorder.record(ctx.releaseModel(), ctx.release.kernels(), pool, poolTokens, maxCtx);
        FfnRecorder.Trace[] held = FfnRecorder.record(ctx.releaseModel(), ctx.release.kernels(), eval, opt.evalTokens(), maxCtx);
        int dim = c.dim();
        ReleaseLayer[] rls = new ReleaseLayer[c.nLayers()];
        double[][] trainTarget = new double[c.nLayers()][], heldTarget = new double[c.nLayers()][];
        for (int l = 0; l < c.nLayers(); l++) {
            if (info.protectedPerLayer()[l] == 0) continue;
            ReleaseLayer rl = rls[l] = ReleaseLayer.read(ctx.releaseModel(), l);
            FfnRecorder.Trace tr = train[l], he = held[l];
            double[] a = trainTarget[l] = new double[tr.tokens() * dim], b = heldTarget[l] = new double[he.tokens() * dim];
            IntStream.range(0, tr.tokens()).parallel().forEach(t -> RegressionAttack.protectedTarget(c, rl, tr.x(), tr.y(), t, a));
            IntStream.range(0, he.tokens()).parallel().forEach(t -> RegressionAttack.protectedTarget(c, rl, he.x(), he.y(), t, b));
        }
        Transformer reference = ctx.original() != null ? ctx.original().transformer() : ctx.release.transformer();
        String refName = ctx.original() != null ? "original" : "release";
        Fidelity.TeacherForced baseline = ctx.original() != null
                ? Fidelity.teacherForced(reference, ctx.release.transformer(), eval, null) : null;
        List<AuditReport.Budget> budgets = new ArrayList<>();
        // the slowest attack: a bar (budgets x layers trained) where Progress draws bars (a terminal)
        try (Progress bar = Progress.start("audit: learning attack", (long) opt.learnBudgets().length * c.nLayers())) {
        for (double frac : opt.learnBudgets()) {
            int n = Math.max(1, (int) Math.round(frac * train[0].tokens()));
            Student[] students = new Student[c.nLayers()];
            double[] heldErr = new double[c.nLayers()];
            IntStream.range(0, c.nLayers()).parallel().forEach(l -> {
                int m = info.protectedPerLayer()[l];
                if (m == 0) {
                    synchronized (bar) { bar.step(); }
                    return;
                }
                Student s = new Student(c, m, opt.seed() + 31L * l);
                s.train(train[l].x(), trainTarget[l], n, opt.learnSteps(), opt.learnBatch(), opt.seed() + 7L * l);
                students[l] = s;
                heldErr[l] = s.relativeError(held[l].x(), heldTarget[l], held[l].tokens());
                synchronized (bar) { bar.step(); }
            });
            Transformer st = studentTransformer(ctx.releaseModel(), ctx.release.kernels(), maxCtx, students, rls);
            Fidelity.TeacherForced tf = Fidelity.teacherForced(reference, st, eval, null);
            List<AuditReport.LayerMse> mse = new ArrayList<>();
            for (int l = 0; l < c.nLayers(); l++) {
                if (students[l] != null) mse.add(new AuditReport.LayerMse(l, heldErr[l]));
            }
            budgets.add(new AuditReport.Budget(frac, n, tf, List.copyOf(mse)));
        }
        }
        return new AuditReport.Learning(ctx.textSource, refName, c.gatedMlp(), train[0].tokens(), held[0].tokens(), overlap,
                opt.learnSteps(), opt.learnBatch(), (System.nanoTime() - t0) / 1e9, List.copyOf(budgets), baseline);
    }

    private static Transformer studentTransformer(Model release, Kernels k, int maxCtx, Student[] students, ReleaseLayer[] rls) {
        ModelConfig c = release.config();
        IntFunction<FeedForward> base = ReleaseReader.feedForwards(release, k);
        return new Transformer(release, k, maxCtx, Transformer.DEFAULT_BATCH, l -> {
            if (students[l] == null) return base.apply(l);
            FeedForward clear = null;
            if (rls[l].clear() > 0) {
                clear = new DenseFeedForward(c.gatedMlp() ? release.require(TensorNames.blk(l, TensorNames.FFN_GATE)) : null,
                        release.require(TensorNames.blk(l, TensorNames.FFN_UP)), rls[l].clearUpBias(),
                        release.require(TensorNames.blk(l, TensorNames.FFN_DOWN)), null, c.activation(), k);
            }
            return new StudentFeedForward(clear, students[l], rls[l].downBias(), c.dim());
        });
    }

    /** Clear neurons (published) + the trained student + the down bias. */
    private static final class StudentFeedForward implements FeedForward {
        final FeedForward clear;
        final Student s;
        final float[] downBias;
        final int dim;
        float[] tmp = new float[0];

        StudentFeedForward(FeedForward clear, Student s, float[] downBias, int dim) {
            this.clear = clear;
            this.s = s;
            this.downBias = downBias;
            this.dim = dim;
        }

        @Override
        public void forward(float[] x, float[] out, int batch) {
            if (clear != null) {
                clear.forward(x, out, batch);
            } else {
                java.util.Arrays.fill(out, 0, batch * dim, 0f);
            }
            double[] y = new double[dim];
            for (int b = 0; b < batch; b++) {
                s.predict(x, b * dim, y, null, null);
                for (int i = 0; i < dim; i++) out[b * dim + i] += (float) y[i] + (downBias == null ? 0 : downBias[i]);
            }
        }

        @Override
        public long weightBytes() { return (clear == null ? 0 : clear.weightBytes()) + 4L * s.params(); }
    }

    /** A small MLP trained with Adam: y = Downᵀ (act(G x + b) ⊙ (U x)) (gated) or Downᵀ act(G x + b) (plain). */
    static final class Student {
        final ModelConfig.Activation act;
        final boolean gated;
        final int m, dim;
        final double[] g, u, b, down; // g,u: [m × dim]; b: [m]; down: [m × dim] (transposed W_down)

        Student(ModelConfig c, int m, long seed) {
            this.act = c.activation();
            this.gated = c.gatedMlp();
            this.m = m;
            this.dim = c.dim();
            SplittableRandom r = new SplittableRandom(seed);
            g = init(r, m * dim, 1 / Math.sqrt(dim));
            u = gated ? init(r, m * dim, 1 / Math.sqrt(dim)) : null;
            b = new double[m];
            down = init(r, m * dim, 1 / Math.sqrt(m));
        }

        long params() { return (long) m * dim * (gated ? 3 : 2) + m; }

        private static double[] init(SplittableRandom r, int n, double bound) {
            double[] w = new double[n];
            for (int i = 0; i < n; i++) w[i] = (2 * r.nextDouble() - 1) * bound;
            return w;
        }

        /** y = f(x); optionally keeps the pre-activations z and up values uv for the backward pass. */
        void predict(float[] x, int xo, double[] y, double[] z, double[] uv) {
            java.util.Arrays.fill(y, 0);
            for (int q = 0; q < m; q++) {
                double zq = b[q], uq = 1;
                int o = q * dim;
                for (int k = 0; k < dim; k++) zq += g[o + k] * x[xo + k];
                if (gated) {
                    uq = 0;
                    for (int k = 0; k < dim; k++) uq += u[o + k] * x[xo + k];
                }
                if (z != null) {
                    z[q] = zq;
                    uv[q] = uq;
                }
                double h = value(zq) * uq;
                for (int i = 0; i < dim; i++) y[i] += h * down[o + i];
            }
        }

        private double value(double z) {
            if (act == ModelConfig.Activation.SILU) return z / (1 + Math.exp(-z));
            return ActivationSeries.value(act, z);
        }

        private double derivative(double z) {
            if (act == ModelConfig.Activation.SILU) {
                double s = 1 / (1 + Math.exp(-z));
                return s * (1 + z * (1 - s));
            }
            double h = 1e-5 * Math.max(1, Math.abs(z));
            return (ActivationSeries.value(act, z + h) - ActivationSeries.value(act, z - h)) / (2 * h);
        }

        /** Adam on the mean squared error over the first n samples. */
        void train(float[] xs, double[] ys, int n, int steps, int batch, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            double[][] params = gated ? new double[][]{g, u, b, down} : new double[][]{g, b, down};
            double[][] mo = new double[params.length][], ve = new double[params.length][], gr = new double[params.length][];
            for (int p = 0; p < params.length; p++) {
                mo[p] = new double[params[p].length];
                ve[p] = new double[params[p].length];
                gr[p] = new double[params[p].length];
            }
            double[] gG = gr[0], gU = gated ? gr[1] : null, gB = gr[gated ? 2 : 1], gD = gr[gated ? 3 : 2];
            // scale the loss by the target's mean square so that one learning rate fits every layer
            double ms = 0;
            for (int t = 0; t < n; t++) for (int i = 0; i < dim; i++) ms += ys[t * dim + i] * ys[t * dim + i];
            ms = Math.max(ms / ((double) n * dim), 1e-30);
            double lr = 3e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8;
            double[] y = new double[dim], z = new double[m], uv = new double[m], dy = new double[dim];
            for (int step = 1; step <= steps; step++) {
                for (double[] a : gr) java.util.Arrays.fill(a, 0);
                for (int s = 0; s < batch; s++) {
                    int t = r.nextInt(n);
                    predict(xs, t * dim, y, z, uv);
                    for (int i = 0; i < dim; i++) dy[i] = 2 * (y[i] - ys[t * dim + i]) / (dim * batch * ms);
                    for (int q = 0; q < m; q++) {
                        int o = q * dim;
                        double a = value(z[q]), h = a * uv[q], dh = 0;
                        for (int i = 0; i < dim; i++) {
                            gD[o + i] += h * dy[i];
                            dh += down[o + i] * dy[i];
                        }
                        double dz = dh * uv[q] * derivative(z[q]);
                        gB[q] += dz;
                        for (int k = 0; k < dim; k++) gG[o + k] += dz * xs[t * dim + k];
                        if (gated) {
                            double du = dh * a;
                            for (int k = 0; k < dim; k++) gU[o + k] += du * xs[t * dim + k];
                        }
                    }
                }
                double c1 = 1 - Math.pow(b1, step), c2 = 1 - Math.pow(b2, step);
                for (int p = 0; p < params.length; p++) {
                    double[] w = params[p], gp = gr[p], mp = mo[p], vp = ve[p];
                    for (int i = 0; i < w.length; i++) {
                        mp[i] = b1 * mp[i] + (1 - b1) * gp[i];
                        vp[i] = b2 * vp[i] + (1 - b2) * gp[i] * gp[i];
                        w[i] -= lr * (mp[i] / c1) / (Math.sqrt(vp[i] / c2) + eps);
                    }
                }
            }
        }

        /** ‖f(x) − y‖² / ‖y‖² over {@code n} samples. */
        double relativeError(float[] xs, double[] ys, int n) {
            double e = 0, s = 0;
            double[] y = new double[dim];
            for (int t = 0; t < n; t++) {
                predict(xs, t * dim, y, null, null);
                for (int i = 0; i < dim; i++) {
                    double d = y[i] - ys[t * dim + i];
                    e += d * d;
                    s += ys[t * dim + i] * ys[t * dim + i];
                }
            }
            return s == 0 ? 0 : e / s;
        }
    }
}
