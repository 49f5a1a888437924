package org.taylormlp.taylor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PowerSeriesTest {

    private static void assertCoefficients(PowerSeries s, double tol, double... expected) {
        assertThat(s.order()).isGreaterThanOrEqualTo(expected.length - 1);
        for (int n = 0; n < expected.length; n++)
            assertThat(s.coefficient(n)).as("coefficient %d of %s", n, s).isCloseTo(expected[n], within(tol));
    }

    @Test
    void expOfIdentityIsInverseFactorials() {
        PowerSeries e = PowerSeries.linear(0, 1, 20).exp();
        double f = 1;
        for (int n = 0; n <= 20; n++) {
            if (n > 0) f *= n;
            assertThat(e.coefficient(n) * f).isCloseTo(1.0, within(1e-15));
        }
        assertThat(e.evaluate(0.5)).isCloseTo(Math.exp(0.5), within(1e-15));
    }

    @Test
    void reciprocalOfOneMinusTIsGeometric() {
        PowerSeries g = PowerSeries.linear(1, -1, 12).reciprocal();
        for (int n = 0; n <= 12; n++) assertThat(g.coefficient(n)).isEqualTo(1.0);
    }

    @Test
    void knownSeriesOfTanhAndSigmoid() {
        PowerSeries t = PowerSeries.linear(0, 1, 9);
        assertCoefficients(t.tanh(), 1e-16, 0, 1, 0, -1.0 / 3, 0, 2.0 / 15, 0, -17.0 / 315, 0, 62.0 / 2835);
        assertCoefficients(t.sigmoid(), 1e-16, 0.5, 0.25, 0, -1.0 / 48, 0, 1.0 / 480, 0, -17.0 / 80640);
    }

    @Test
    void algebraicIdentities() {
        PowerSeries f = PowerSeries.of(1.3, 0.7, -0.2, 0.05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        PowerSeries one = PowerSeries.constant(1.0, f.order());
        assertClose(f.exp().multiply(f.negate().exp()), one, 1e-15);
        assertClose(f.multiply(f.reciprocal()), one, 1e-15);
        assertClose(f.exp().divide(f), f.exp().multiply(f.reciprocal()), 1e-14);
        assertClose(f.integral(2.0).derivative(), f, 0);
        // two different recurrences: tanh' = 1 − tanh², sigmoid' = s(1 − s)
        assertClose(f.tanh(), f.scale(2).sigmoid().scale(2).addConstant(-1), 1e-15);
        // σ(f) + σ(−f) = 1, exercising the saturated branch (f₀ = 40) against the direct one (−40)
        PowerSeries g = f.addConstant(38.7);
        assertClose(g.sigmoid().add(g.negate().sigmoid()), one, 1e-16);
        assertThat(g.negate().sigmoid().coefficient(0)).isCloseTo(Math.exp(-40), within(1e-30));
    }

    @Test
    void cauchyProductAndTruncationSemantics() {
        PowerSeries p = PowerSeries.of(1, 1);
        assertCoefficients(p.multiply(p), 0, 1, 2);   // order 1: the t² term is beyond the truncation
        PowerSeries q = PowerSeries.polynomial(4, 1, 1);
        assertCoefficients(q.multiply(q), 0, 1, 2, 1, 0, 0);
        assertThat(q.add(p).order()).isEqualTo(1);
        assertThat(q.truncate(2).coefficients()).containsExactly(1, 1, 0);
        assertThat(PowerSeries.horner(new double[] {1, 2, 3}, 2.0)).isEqualTo(17.0);
    }

    @Test
    void rejectsInvalidOperations() {
        assertThatThrownBy(() -> PowerSeries.of(0, 1).reciprocal()).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> PowerSeries.of(1).derivative()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> PowerSeries.of()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PowerSeries.of(1, 2).truncate(3)).isInstanceOf(IllegalArgumentException.class);
    }

    private static void assertClose(PowerSeries a, PowerSeries b, double tol) {
        assertThat(a.order()).isEqualTo(b.order());
        for (int n = 0; n <= a.order(); n++)
            assertThat(a.coefficient(n)).as("coefficient %d", n).isCloseTo(b.coefficient(n), within(tol));
    }
}
