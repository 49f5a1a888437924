package org.taylormlp.taylor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.taylormlp.model.ModelConfig.Activation;

/** Partial sums against the activation itself, inside and outside the radius of convergence. */
class EvaluationTest {

    private static double maxError(Activation act, double z0, double h, int order) {
        double[] a = ActivationSeries.coefficients(act, z0, order);
        double worst = 0;
        for (int i = 0; i <= 400; i++) {
            double z = z0 - h + 2 * h * i / 400;
            double t = z - z0;
            double err = Math.abs(ActivationSeries.evalTaylor(a, t) - ActivationSeries.value(act, z));
            worst = Math.max(worst, err / Math.max(1, Math.abs(ActivationSeries.value(act, z))));
        }
        return worst;
    }

    @Test
    void order32MatchesActivationWellInsideTheRadius() {
        for (Activation act : Activation.values()) {
            for (double z0 : ActivationSeriesOracleTest.POINTS) {
                double r = ConvergenceRadius.radius(act, z0);
                // entire GELU-erf: |t| ≤ 1.5; finite radius: |t| ≤ 0.4R, where the tail is ~ M·0.4³³ ≈ 1e-13·M
                double h = Double.isInfinite(r) ? 1.5 : 0.4 * r;
                assertThat(maxError(act, z0, h, 32)).as("%s z0=%s h=%s", act, z0, h).isLessThan(1e-12);
            }
        }
    }

    @Test
    void atHalfTheRadiusTheTailIsOfOrderTwoToTheMinus33() {
        for (Activation act : new Activation[] {Activation.SILU, Activation.GELU_TANH}) {
            for (double z0 : ActivationSeriesOracleTest.POINTS) {
                double h = 0.5 * ConvergenceRadius.radius(act, z0);
                assertThat(maxError(act, z0, h, 32)).as("%s z0=%s", act, z0).isLessThan(1e-8);
            }
        }
    }

    @Test
    void siluPartialSumsDivergeBeyondTheRadius() {
        // |a_n tⁿ| ~ |t/R|ⁿ = 1.5ⁿ times an oscillating factor (complex-conjugate poles), so compare the worst
        // error over successive windows of orders: each window must be clearly worse than the previous one.
        for (double z0 : new double[] {-3.5, 0, 1.7}) {
            double r = ConvergenceRadius.radius(Activation.SILU, z0);
            for (double t : new double[] {-1.5 * r, 1.5 * r}) {
                double[] a = ActivationSeries.coefficients(Activation.SILU, z0, 40);
                double exact = ActivationSeries.value(Activation.SILU, z0 + t);
                double previous = 0;
                for (int from = 8; from <= 32; from += 8) {
                    double windowMax = 0;
                    for (int order = from; order < from + 8; order++) {
                        double[] partial = java.util.Arrays.copyOf(a, order + 1);
                        windowMax = Math.max(windowMax, Math.abs(ActivationSeries.evalTaylor(partial, t) - exact));
                    }
                    if (from > 8) assertThat(windowMax).as("z0=%s t=%s orders %d..%d", z0, t, from, from + 7)
                            .isGreaterThan(5 * previous);
                    previous = windowMax;
                }
                assertThat(previous).as("error near N=40 beyond the radius").isGreaterThan(10.0);
            }
        }
    }

    @Test
    void geluErfConvergesFarFromTheExpansionPoint() {
        // entire: even at |t| = 6 a high enough order converges (needs ~N ≈ e·t²/2 terms)
        assertThat(maxError(Activation.GELU_ERF, 0.5, 6, 160)).isLessThan(1e-9);
    }
}
