package org.taylormlp.taylor;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.taylormlp.model.ModelConfig.Activation;

/** Coefficients against the independent BigDecimal oracle ({@link BigOracle}). */
class ActivationSeriesOracleTest {

    static final double[] POINTS = {-8, -3.5, -1, -0.3, 0, 0.2, 1.7, 4, 9};
    static final int ORDER = 32;
    private static final List<String> REPORT = new ArrayList<>();
    private static double worstScaled, worstRelative;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Activation act : Activation.values())
            for (double z0 : POINTS) out.add(Arguments.of(act, z0));
        return out.stream();
    }

    /** Comparison radius: half the radius of convergence (2 for the entire GELU-erf). */
    static double comparisonRadius(Activation act, double z0) {
        double r = ConvergenceRadius.radius(act, z0);
        return Double.isInfinite(r) ? 2.0 : 0.5 * r;
    }

    @ParameterizedTest(name = "{0} at z0={1}")
    @MethodSource("cases")
    void coefficientsMatchHighPrecisionOracle(Activation act, double z0) {
        double[] a = ActivationSeries.coefficients(act, z0, ORDER);
        BigDecimal[] ref = BigOracle.coefficients(act, z0, ORDER);
        assertThat(a).hasSize(ORDER + 1);
        double rho = comparisonRadius(act, z0);
        double scale = 0;
        for (int n = 0; n <= ORDER; n++) scale = Math.max(scale, Math.abs(ref[n].doubleValue()) * Math.pow(rho, n));
        double maxScaled = 0, maxRel = 0;
        for (int n = 0; n <= ORDER; n++) {
            double diff = new BigDecimal(a[n]).subtract(ref[n], MathContext.DECIMAL64).abs().doubleValue();
            double mag = Math.abs(ref[n].doubleValue());
            double scaled = diff * Math.pow(rho, n) / scale;
            maxScaled = Math.max(maxScaled, scaled);
            // a_n·ρⁿ measured against the size of the series on |t| = ρ: absolute for tiny coefficients
            assertThat(scaled).as("%s z0=%s n=%d a=%s ref=%s", act, z0, n, a[n], ref[n].round(BigOracle.REPORT))
                    .isLessThanOrEqualTo(1e-13);
            if (mag * Math.pow(rho, n) >= 1e-3 * scale) {   // coefficients that are not near a sign change
                double rel = diff / mag;
                maxRel = Math.max(maxRel, rel);
                assertThat(rel).as("relative error %s z0=%s n=%d", act, z0, n).isLessThanOrEqualTo(1e-12);
            }
        }
        synchronized (REPORT) {
            worstScaled = Math.max(worstScaled, maxScaled);
            worstRelative = Math.max(worstRelative, maxRel);
            REPORT.add(String.format("%-9s z0=%5.1f  max scaled err %.2e  max rel err %.2e", act, z0, maxScaled, maxRel));
        }
    }

    @Test
    void robustAtLargeExpansionPoints() {
        for (Activation act : Activation.values()) {
            for (double z0 : new double[] {-30, -20, 20, 30}) {
                double[] a = ActivationSeries.coefficients(act, z0, ORDER);
                BigDecimal[] ref = BigOracle.coefficients(act, z0, ORDER);
                for (int n = 0; n <= ORDER; n++) {
                    assertThat(a[n]).as("%s z0=%s n=%d", act, z0, n).isFinite();
                    double r = ref[n].doubleValue();   // may underflow to 0 (gelu_new at −30 ~ e^{−1975})
                    double diff = new BigDecimal(a[n]).subtract(ref[n], MathContext.DECIMAL64).abs().doubleValue();
                    double rho = comparisonRadius(act, z0);
                    double tolerance = Math.max(1e-11 * Math.abs(r), 1e-13 * Math.abs(z0) / Math.pow(rho, n));
                    assertThat(diff).as("%s z0=%s n=%d a=%s ref=%s", act, z0, n, a[n], r).isLessThanOrEqualTo(tolerance);
                }
            }
        }
    }

    @Test
    void normalCdfMatchesOracleIncludingTails() {
        double worst = 0;
        for (double x = -37.5; x <= 8.5; x += 0.173) {
            double ref = BigOracle.normalCdf(x).doubleValue();
            double rel = Math.abs(SpecialFunctions.normalCdf(x) - ref) / ref;
            worst = Math.max(worst, rel);
            assertThat(rel).as("Phi(%s)", x).isLessThan(2e-14);
        }
        REPORT.add(String.format("normalCdf on [-37.5, 8.5]: max rel err %.2e", worst));
    }

    @AfterAll
    static void report() {
        REPORT.forEach(System.out::println);
        System.out.printf("WORST over oracle cases: scaled %.2e, relative %.2e%n", worstScaled, worstRelative);
    }
}
