package org.taylormlp.taylor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.taylormlp.model.ModelConfig.Activation;

class ConvergenceRadiusTest {

    @Test
    void siluRadiusIsDistanceToIPi() {
        assertThat(ConvergenceRadius.radius(Activation.SILU, 0)).isEqualTo(Math.PI);
        assertThat(ConvergenceRadius.radius(Activation.SILU, -3)).isCloseTo(Math.sqrt(9 + Math.PI * Math.PI), within(1e-15));
        assertThat(ConvergenceRadius.radius(Activation.GELU_ERF, 5)).isInfinite();
        assertThat(ConvergenceRadius.nearestSingularity(Activation.GELU_ERF, 5)).isEmpty();
    }

    @Test
    void geluTanhPolesSolveTheDefiningEquation() {
        for (int k = 0; k < 6; k++) {
            List<Complex> poles = ConvergenceRadius.geluTanhPoles(k);
            assertThat(poles).hasSize(3);
            for (Complex p : poles) {
                Complex w = SpecialFunctions.geluTanhArgument(p);   // must equal iπ(2k+1)
                assertThat(w.re()).as("k=%d pole %s", k, p).isCloseTo(0, within(1e-12 * (1 + p.abs())));
                assertThat(w.im()).as("k=%d pole %s", k, p).isCloseTo(Math.PI * (2 * k + 1), within(1e-12 * (1 + k)));
            }
        }
    }

    @Test
    void geluTanhRadiusIsFiniteSymmetricAndMatchesAnIndependentPoleSearch() {
        for (double z0 : new double[] {-9, -3.5, -1, 0, 0.2, 1.7, 4, 9}) {
            double r = ConvergenceRadius.radius(Activation.GELU_TANH, z0);
            assertThat(r).isFinite().isPositive();
            assertThat(ConvergenceRadius.radius(Activation.GELU_TANH, -z0)).isCloseTo(r, within(1e-12 * r));
            assertThat(newtonPoleSearchDistance(z0)).as("z0=%s", z0).isCloseTo(r, within(1e-9 * r));
        }
        assertThat(ConvergenceRadius.radius(Activation.GELU_TANH, 0)).isCloseTo(2.8268682792728788, within(1e-12));
    }

    /**
     * Independent of Cardano: Newton's method on F(z) = 1 + e^{−w(z)} from a grid of starting points in the
     * upper half plane (the lower half is the mirror image), returning the least distance from z0 to a root.
     */
    private static double newtonPoleSearchDistance(double z0) {
        double best = Double.POSITIVE_INFINITY;
        for (double x = -14; x <= 14; x += 0.5) {
            for (double y = 0.25; y <= 9; y += 0.5) {
                Complex z = Complex.of(x, y);
                for (int it = 0; it < 80 && z.abs() < 100; it++) {
                    Complex w = SpecialFunctions.geluTanhArgument(z);
                    if (w.re() < -600) break;                          // e^{−w} would overflow
                    Complex e = w.negate().exp();
                    Complex f = e.add(1.0);
                    Complex dw = z.multiply(z).multiply(3 * 0.044715).add(1.0).multiply(2 * Math.sqrt(2 / Math.PI));
                    Complex df = e.multiply(dw).negate();
                    z = z.subtract(f.divide(df));
                }
                Complex f = SpecialFunctions.geluTanhArgument(z).negate().exp().add(1.0);
                if (f.abs() < 1e-10 && z.abs() < 100) best = Math.min(best, Math.hypot(z.re() - z0, z.im()));
            }
        }
        return best;
    }

    @Test
    void geluTanhBlowsUpApproachingTheNearestPole() {
        for (double z0 : new double[] {-3.5, 0, 1.7}) {
            Complex p = ConvergenceRadius.nearestSingularity(Activation.GELU_TANH, z0).orElseThrow();
            Complex dir = p.subtract(Complex.of(z0, 0));
            double[] eps = {1e-3, 1e-5, 1e-7};
            double[] mod = new double[eps.length];
            for (int i = 0; i < eps.length; i++) {
                Complex z = Complex.of(z0, 0).add(dir.multiply(1 - eps[i]));
                mod[i] = z.multiply(SpecialFunctions.sigmoid(SpecialFunctions.geluTanhArgument(z))).abs();
                // tanh itself: |tanh(w/2)| must blow up as well
                assertThat(SpecialFunctions.tanh(SpecialFunctions.geluTanhArgument(z).multiply(0.5)).abs())
                        .isGreaterThan(0.1 / (eps[i] * dir.abs()));
            }
            // simple pole: |σ| ∝ 1/distance
            assertThat(mod[1] / mod[0]).isCloseTo(100, withinPercentage(2));
            assertThat(mod[2] / mod[1]).isCloseTo(100, withinPercentage(1));
            // and on the real axis the function stays moderate (no real singularity)
            assertThat(Math.abs(ActivationSeries.value(Activation.GELU_TANH, z0 + dir.re()))).isLessThan(20);
        }
    }

    @Test
    void cauchyHadamardFromHighOrderCoefficients() {
        // limsup |a_n|^{1/n} = 1/R: estimate R from orders 100..140 (within a few percent)
        List<double[]> cases = new ArrayList<>();
        cases.add(new double[] {0, 0});
        cases.add(new double[] {0, 1.7});
        cases.add(new double[] {1, 0});
        cases.add(new double[] {1, -3.5});
        cases.add(new double[] {1, 4});
        for (double[] c : cases) {
            Activation act = c[0] == 0 ? Activation.SILU : Activation.GELU_TANH;
            double z0 = c[1];
            double[] a = ActivationSeries.coefficients(act, z0, 140);
            double limsup = 0;
            for (int n = 100; n <= 140; n++) limsup = Math.max(limsup, Math.pow(Math.abs(a[n]), 1.0 / n));
            assertThat(1 / limsup).as("%s z0=%s", act, z0)
                    .isCloseTo(ConvergenceRadius.radius(act, z0), withinPercentage(4));
        }
        // GELU-erf is entire of order 2: |a_n|^{1/n} ~ n^{−1/2} → 0, no finite limit
        double[] a = ActivationSeries.coefficients(Activation.GELU_ERF, 1.0, 140);
        double early = 0, late = 0;
        for (int n = 30; n <= 50; n++) early = Math.max(early, Math.pow(Math.abs(a[n]), 1.0 / n));
        for (int n = 120; n <= 140; n++) late = Math.max(late, Math.pow(Math.abs(a[n]), 1.0 / n));
        assertThat(late).isLessThan(0.7 * early);
    }
}
