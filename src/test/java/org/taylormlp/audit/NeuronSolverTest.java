package org.taylormlp.audit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.taylormlp.model.ModelConfig.Activation;
import org.taylormlp.taylor.ActivationSeries;

import java.util.SplittableRandom;

/** The per-neuron inversion on synthetic coefficient blocks built exactly as the Protector builds them. */
class NeuronSolverTest {
    private static final int DIM = 24;

    /** Columns fl(w_i · a_n(z0) · rⁿ) (double product, one rounding to float), w float like a checkpoint. */
    static double[][] columns(Activation act, float[] w, double z0, double r, int order) {
        double[] a = ActivationSeries.coefficients(act, z0, order);
        double[][] c = new double[order + 1][w.length];
        double rn = 1;
        for (int n = 0; n <= order; n++) {
            for (int i = 0; i < w.length; i++) c[n][i] = (float) (w[i] * a[n] * rn);
            rn *= r;
        }
        return c;
    }

    static float[] randomW(SplittableRandom rnd) {
        float[] w = new float[DIM];
        for (int i = 0; i < DIM; i++) w[i] = (float) (rnd.nextGaussian() * 0.05);
        return w;
    }

    private static double relErr(double[] got, float[] want) {
        double e = 0, n = 0;
        for (int i = 0; i < want.length; i++) {
            e += (got[i] - want[i]) * (got[i] - want[i]);
            n += (double) want[i] * want[i];
        }
        return Math.sqrt(e / n);
    }

    private void check(Activation act, NeuronSolver.Mode mode, int order, int cases, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        NeuronSolver s = new NeuronSolver(act, order);
        for (int k = 0; k < cases; k++) {
            float[] w = randomW(rnd);
            double z0 = -4 + 8 * rnd.nextDouble();
            double r = 0.05 + 2.5 * rnd.nextDouble();
            double b = mode == NeuronSolver.Mode.HIDDEN_UNGATED ? rnd.nextGaussian() : 0; // plain MLPs have a bias
            float beta = (float) ((b - z0) / r);
            double[][] cols = columns(act, w, z0, r, order);
            NeuronSolver.Fit f = s.solve(cols, beta, mode == NeuronSolver.Mode.PUBLISHED ? (float) z0 : Double.NaN, mode);
            String what = act + " " + mode + " z0=" + z0 + " r=" + r;
            assertThat(f.ok()).as(what).isTrue();
            assertThat(Math.abs(f.r() - r) / r).as("r: " + what).isLessThan(2e-6);
            assertThat(Math.abs(f.z0() - z0)).as("z0: " + what).isLessThan(2e-6 * Math.max(1, Math.abs(z0)));
            assertThat(relErr(f.w(), w)).as("w: " + what).isLessThan(1e-6);
            assertThat(f.rank1()).as(what).isLessThan(1e-6);
            assertThat(f.ambiguous()).as(what).isFalse();
        }
    }

    @Test
    void siluAllModes() {
        for (NeuronSolver.Mode m : NeuronSolver.Mode.values()) check(Activation.SILU, m, 12, 30, 1 + m.ordinal());
    }

    @Test
    void lowOrderSilu() {
        check(Activation.SILU, NeuronSolver.Mode.PUBLISHED, 2, 20, 7);
        check(Activation.SILU, NeuronSolver.Mode.HIDDEN_GATED, 3, 20, 8);
    }

    @Test
    void geluVariants() {
        for (Activation act : new Activation[]{Activation.GELU_TANH, Activation.GELU_ERF}) {
            check(act, NeuronSolver.Mode.PUBLISHED, 8, 6, 11);
            check(act, NeuronSolver.Mode.HIDDEN_GATED, 8, 6, 12);
            check(act, NeuronSolver.Mode.HIDDEN_UNGATED, 8, 4, 13);
        }
    }

    @Test
    void coefficientNearAZeroOfA12DoesNotDerailTheSearch() {
        // found on a stories260K release: a_12(z0) = 7e-11 (a zero crossing), so k_12 is wildly sensitive to z0
        double z0 = -0.3814675211906433, r = 1.9626153111457825;
        float[] w = randomW(new SplittableRandom(9));
        for (NeuronSolver.Mode mode : NeuronSolver.Mode.values()) {
            NeuronSolver.Fit f = new NeuronSolver(Activation.SILU, 12).solve(columns(Activation.SILU, w, z0, r, 12), (float) (-z0 / r),
                    mode == NeuronSolver.Mode.PUBLISHED ? (float) z0 : Double.NaN, mode);
            assertThat(f.ok()).as(mode.name()).isTrue();
            assertThat(Math.abs(f.r() - r) / r).as(mode.name()).isLessThan(2e-6);
            assertThat(relErr(f.w(), w)).as(mode.name()).isLessThan(1e-6);
        }
    }

    @Test
    void negativeScaleIsFoundToo() {
        // an owner might flip signs (the official code multiplies gate rows by ±1): r < 0 is tried as well
        SplittableRandom rnd = new SplittableRandom(5);
        NeuronSolver s = new NeuronSolver(Activation.SILU, 10);
        for (int k = 0; k < 10; k++) {
            float[] w = randomW(rnd);
            double z0 = -3 + 6 * rnd.nextDouble(), r = -(0.1 + rnd.nextDouble());
            NeuronSolver.Fit f = s.solve(columns(Activation.SILU, w, z0, r, 10), (float) (-z0 / r), Double.NaN, NeuronSolver.Mode.HIDDEN_GATED);
            assertThat(f.ok()).isTrue();
            assertThat(f.r()).isCloseTo(r, org.assertj.core.data.Offset.offset(1e-5 * Math.abs(r)));
            assertThat(relErr(f.w(), w)).isLessThan(1e-6);
        }
    }

    @Test
    void garbageIsReportedNotSolved() {
        NeuronSolver s = new NeuronSolver(Activation.SILU, 4);
        double[][] cols = new double[5][DIM];
        assertThat(s.solve(cols, 0.5f, Double.NaN, NeuronSolver.Mode.HIDDEN_GATED).ok()).isFalse();
        cols[0][0] = Double.NaN;
        assertThat(s.solve(cols, 0.5f, Double.NaN, NeuronSolver.Mode.HIDDEN_GATED).ok()).isFalse();
        // random (not rank-1, not a Taylor family): solved or not, the residuals must expose it
        SplittableRandom rnd = new SplittableRandom(3);
        for (double[] c : cols) for (int i = 0; i < DIM; i++) c[i] = rnd.nextGaussian();
        NeuronSolver.Fit f = s.solve(cols, 0.5f, Double.NaN, NeuronSolver.Mode.HIDDEN_GATED);
        assertThat(f.rank1()).isGreaterThan(0.1);
    }

    @Test
    void fastSiluSeriesMatchesTheExactOne() {
        for (double z0 = -25; z0 <= 25; z0 += 0.37) {
            double[] fast = FastSeries.coefficients(Activation.SILU, z0, 16), exact = ActivationSeries.coefficients(Activation.SILU, z0, 16);
            double scale = 0;
            for (double v : exact) scale = Math.max(scale, Math.abs(v));
            for (int n = 0; n <= 16; n++) {
                assertThat(Math.abs(fast[n] - exact[n])).as("z0=%s n=%d", z0, n).isLessThanOrEqualTo(1e-13 * Math.abs(exact[n]) + 1e-15 * scale);
            }
        }
    }
}
