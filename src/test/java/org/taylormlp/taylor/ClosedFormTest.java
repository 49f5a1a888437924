package org.taylormlp.taylor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import org.junit.jupiter.api.Test;
import org.taylormlp.model.ModelConfig.Activation;

/** Closed forms and symmetries that the coefficients must satisfy. */
class ClosedFormTest {

    private static final double C = Math.sqrt(2 / Math.PI);

    @Test
    void siluFirstCoefficients() {
        for (double z0 : new double[] {-12, -3.5, -1, 0, 0.2, 1.7, 9}) {
            double s = 1 / (1 + Math.exp(-z0));
            double[] a = ActivationSeries.coefficients(Activation.SILU, z0, 3);
            assertThat(a[0]).isCloseTo(z0 * s, within(1e-15 * Math.max(1, Math.abs(z0))));
            assertThat(a[1]).isCloseTo(s + z0 * s * (1 - s), within(1e-15));
            // a₂ = σ''/2 = s' + z0 s''/2, s' = s(1−s), s'' = s(1−s)(1−2s)
            assertThat(a[2]).isCloseTo(s * (1 - s) + z0 * s * (1 - s) * (1 - 2 * s) / 2, within(1e-15));
        }
    }

    @Test
    void geluErfFirstDerivativeIsCdfPlusZTimesPdf() {
        for (double z0 : new double[] {-8, -3.5, -1, 0, 0.2, 1.7, 4}) {
            double[] a = ActivationSeries.coefficients(Activation.GELU_ERF, z0, 2);
            double phi = Math.exp(-z0 * z0 / 2) / Math.sqrt(2 * Math.PI);
            double cdf = SpecialFunctions.normalCdf(z0);
            double expected = cdf + z0 * phi;
            assertThat(a[1]).isCloseTo(expected, withinPercentage(1e-11));
            assertThat(a[2]).isCloseTo(phi * (2 - z0 * z0) / 2, within(1e-15)); // (2φ + z0φ')/2, φ' = −z0φ
        }
        assertThat(SpecialFunctions.normalCdf(0)).isEqualTo(0.5);
        assertThat(SpecialFunctions.normalCdf(-1.96)).isCloseTo(0.024997895148220436, within(5e-17));
    }

    @Test
    void seriesAtZeroHaveKnownStructure() {
        double phi0 = 1 / Math.sqrt(2 * Math.PI);
        double[] silu = ActivationSeries.coefficients(Activation.SILU, 0, 9);
        assertThat(silu).containsExactly(new double[] {0, 0.5, 0.25, 0, -1.0 / 48, 0, 1.0 / 480, 0, -17.0 / 80640, 0},
                within(1e-17));
        double[] erf = ActivationSeries.coefficients(Activation.GELU_ERF, 0, 7);
        assertThat(erf).containsExactly(new double[] {0, 0.5, phi0, 0, -phi0 / 6, 0, phi0 / 40, 0}, within(1e-16));
        // ½z(1 + tanh(c(z + Az³))) = z/2 + (c/2)z² + (cA − c³/3)/2·z⁴ + …
        double[] tanh = ActivationSeries.coefficients(Activation.GELU_TANH, 0, 5);
        assertThat(tanh).containsExactly(new double[] {0, 0.5, C / 2, 0, (C * 0.044715 - C * C * C / 3) / 2, 0},
                within(1e-16));
    }

    @Test
    void valuesAndSymmetries() {
        for (double z = -30; z <= 30; z += 0.37) {
            // σ(z) − σ(−z) = z for all three (z·G(z) with G(z) + G(−z) = 1)
            for (Activation act : Activation.values())
                assertThat(ActivationSeries.value(act, z) - ActivationSeries.value(act, -z))
                        .as("%s at %s", act, z).isCloseTo(z, within(4e-15 * Math.abs(z)));
            double tanhForm = 0.5 * z * (1 + Math.tanh(C * (z + 0.044715 * z * z * z)));
            if (z > -3) assertThat(ActivationSeries.value(Activation.GELU_TANH, z)).isCloseTo(tanhForm, within(1e-14));
        }
        assertThat(ActivationSeries.value(Activation.SILU, -800)).isEqualTo(-0.0);
        assertThat(ActivationSeries.value(Activation.SILU, 800)).isEqualTo(800);
        assertThat(ActivationSeries.value(Activation.GELU_ERF, -50)).isEqualTo(-0.0);
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> ActivationSeries.coefficients(Activation.SILU, 0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ActivationSeries.coefficients(Activation.SILU, Double.NaN, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ActivationSeries.coefficients(Activation.GELU_ERF, 1.0, 0)).hasSize(1);
    }
}
