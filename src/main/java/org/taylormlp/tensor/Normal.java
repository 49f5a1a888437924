package org.taylormlp.tensor;

/**
 * The standard normal density and distribution function in double precision (Java has no {@code erf}), accurate
 * to a few ulps in the relative sense deep in both tails (e.g. {@code Φ(−8) ≈ 6.2e-16} is not formed as
 * {@code 1 − Φ(8)}). The engine's only erf/erfc: exact GELU ({@link ScalarOps#geluErf}) and the Taylor series
 * ({@code taylor.SpecialFunctions}) both use it.
 */
public final class Normal {
    private Normal() {}

    private static final double INV_SQRT_2PI = 0.3989422804014327;
    private static final double INV_SQRT_2PI_LO = -2.49232720227773e-17;

    /**
     * {@code φ(x) = e^{−x²/2}/√(2π)}. The square is split exactly ({@code x² = hi + lo} via FMA) so that the
     * exponential does not amplify the rounding of {@code x²} (which would cost |x²/2|·u relative error).
     */
    public static double pdf(double x) {
        double hi = x * x;
        double lo = Math.fma(x, x, -hi);
        double e = Math.exp(-0.5 * hi);
        return e * (INV_SQRT_2PI + (INV_SQRT_2PI_LO - 0.5 * lo * INV_SQRT_2PI));
    }

    /**
     * Standard normal distribution function {@code Φ(x) = ½(1 + erf(x/√2))}.
     * <ul>
     *   <li>|x| ≤ 1.5: {@code Φ(x) = ½ + φ(x) Σ_{n≥0} x^{2n+1}/(2n+1)!!} (all terms of one sign, no
     *       cancellation inside the sum; Φ ≥ 0.066 here so the final addition loses < 1 digit);</li>
     *   <li>|x| > 1.5: upper tail {@code Q(|x|) = φ(x)·R(|x|)} with the Mills-ratio continued fraction
     *       {@code R(x) = 1/(x+ 1/(x+ 2/(x+ 3/(x+ …))))} (modified Lentz), and {@code Φ = Q} or {@code 1 − Q}.</li>
     * </ul>
     */
    public static double cdf(double x) {
        if (Double.isNaN(x)) return Double.NaN;
        if (x < -1.5) return upperTail(-x);
        if (x > 1.5) return 1.0 - upperTail(x);
        double x2 = x * x;
        double term = x, sum = x;
        for (int n = 1; n < 200; n++) {
            term *= x2 / (2 * n + 1);
            sum += term;
            if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
        }
        return 0.5 + pdf(x) * sum;
    }

    /** {@code Q(x) = 1 − Φ(x)} for x > 1.5 via the Mills-ratio continued fraction. */
    private static double upperTail(double x) {
        if (x > 40) return 0.0;                  // Q(40) ≈ 3.7e-350: below the smallest subnormal
        final double tiny = 1e-300;
        double f = tiny, cc = f, d = 0.0;
        for (int j = 1; j < 5000; j++) {
            double a = j == 1 ? 1.0 : j - 1;
            d = x + a * d;
            if (d == 0) d = tiny;
            cc = x + a / cc;
            if (cc == 0) cc = tiny;
            d = 1.0 / d;
            double delta = cc * d;
            f *= delta;
            if (Math.abs(delta - 1.0) < 1e-16) break;
        }
        return pdf(x) * f;
    }
}
