package org.taylormlp.taylor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.taylormlp.model.ModelConfig.Activation;

class TruncationBoundTest {

    private static double halfWidth(Activation act, double z0, double fraction) {
        double r = ConvergenceRadius.radius(act, z0);
        return Double.isInfinite(r) ? 4 * fraction : fraction * r;   // GELU-erf: h up to 3.6
    }

    @Test
    void boundDominatesTheMeasuredError() {
        double worstRatio = Double.POSITIVE_INFINITY;
        for (Activation act : Activation.values()) {
            for (double z0 : new double[] {-8, -1, 0, 1.7, 9}) {
                for (double fraction : new double[] {0.3, 0.6, 0.9}) {
                    double h = halfWidth(act, z0, fraction);
                    for (int order : new int[] {1, 6, 16, 32}) {
                        double bound = TruncationBound.bound(act, z0, h, order);
                        double measured = TruncationBound.empiricalError(act, z0, h, order);
                        assertThat(bound).as("%s z0=%s h=%s N=%d", act, z0, h, order).isFinite()
                                .isGreaterThanOrEqualTo(measured);
                        if (measured > 0) worstRatio = Math.min(worstRatio, bound / measured);
                    }
                }
            }
        }
        System.out.printf("smallest bound/measured ratio: %.2f%n", worstRatio);
    }

    @Test
    void cauchyBoundDecreasesWithOrderInsideTheRadius() {
        for (Activation act : Activation.values()) {
            for (double z0 : new double[] {-3.5, 0.2, 4}) {
                double h = halfWidth(act, z0, 0.7);
                double previous = Double.POSITIVE_INFINITY;
                for (int order : new int[] {1, 2, 3, 5, 8, 12, 17, 24, 32}) {
                    double b = TruncationBound.cauchyBound(act, z0, h, order);
                    assertThat(b).as("%s z0=%s N=%d", act, z0, order).isLessThan(previous);
                    previous = b;
                }
            }
        }
    }

    @Test
    void boundIsUsefullyTight() {
        // SiLU at 0, h = 1: tail ~ (1/π)^{N+1}; the estimate should be within ~3 orders of magnitude
        for (int order : new int[] {8, 16}) {
            double measured = TruncationBound.empiricalError(Activation.SILU, 0, 1, order);
            double bound = TruncationBound.bound(Activation.SILU, 0, 1, order);
            assertThat(bound).isBetween(measured, 1e3 * measured);
        }
        assertThat(TruncationBound.bound(Activation.SILU, 0, 1, 32)).isLessThan(1e-13);
        // saturated expansion point: σ − z is tiny, and the bound must see it
        assertThat(TruncationBound.bound(Activation.GELU_ERF, 9, 1.2, 8)).isLessThan(1e-10);
        assertThat(TruncationBound.bound(Activation.GELU_TANH, 9, 3, 8)).isLessThan(1e-5);
    }

    @Test
    void noBoundOutsideTheRadius() {
        for (double z0 : new double[] {-2, 0, 5}) {
            double r = ConvergenceRadius.radius(Activation.SILU, z0);
            assertThat(TruncationBound.bound(Activation.SILU, z0, r, 8)).isInfinite();
            assertThat(TruncationBound.bound(Activation.SILU, z0, 1.5 * r, 8)).isInfinite();
            double rt = ConvergenceRadius.radius(Activation.GELU_TANH, z0);
            assertThat(TruncationBound.bound(Activation.GELU_TANH, z0, 1.01 * rt, 8)).isInfinite();
            // beyond the radius the measured error is large and grows with the order
            assertThat(TruncationBound.empiricalError(Activation.SILU, z0, 1.5 * r, 30))
                    .isGreaterThan(10 * TruncationBound.empiricalError(Activation.SILU, z0, 1.5 * r, 10));
        }
        assertThat(TruncationBound.bound(Activation.GELU_ERF, 0, 6, 60)).isFinite();
    }

    @Test
    void maxModulusDominatesSampledValues() {
        for (Activation act : Activation.values()) {
            for (double z0 : new double[] {-4, 0, 2.5}) {
                double r = ConvergenceRadius.radius(act, z0);
                double rho = Double.isInfinite(r) ? 3 : 0.8 * r;
                double m = TruncationBound.maxModulusOnCircle(act, z0, rho, false);
                // on the real axis the true values are available for every activation
                assertThat(m).isGreaterThanOrEqualTo(Math.abs(ActivationSeries.value(act, z0 + rho)));
                assertThat(m).isGreaterThanOrEqualTo(Math.abs(ActivationSeries.value(act, z0 - rho)));
                if (act == Activation.GELU_ERF) continue;
                for (int j = 0; j < 997; j++) {   // off-grid points of the circle
                    Complex z = Complex.polar(rho, 2 * Math.PI * (j + 0.37) / 997).add(z0);
                    Complex g = act == Activation.SILU ? z : SpecialFunctions.geluTanhArgument(z);
                    assertThat(m).isGreaterThanOrEqualTo(z.multiply(SpecialFunctions.sigmoid(g)).abs());
                }
            }
        }
    }
}
