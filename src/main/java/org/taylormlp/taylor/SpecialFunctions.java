package org.taylormlp.taylor;

/**
 * Double-precision special functions the activations need: logistic sigmoid, the standard normal density
 * and distribution function (Java has no {@code erf}), the GELU-tanh inner argument, and their complex
 * counterparts for the Cauchy estimates. All are accurate to a few ulps in the relative sense, including deep
 * in the tails (e.g. {@code Φ(−8) ≈ 6.2e-16} is not formed as {@code 1 − Φ(8)}).
 */
public final class SpecialFunctions {
    private SpecialFunctions() {}

    /** √(2/π) as a double-double. */
    static final DD SQRT_2_OVER_PI = new DD(0.7978845608028654, -4.98465440455546e-17);
    /** The decimal constant 0.044715 of "gelu_new", as a double-double. */
    static final DD GELU_TANH_CUBIC = new DD(0.044715, 2.1960211427085595e-18);
    private static final double INV_SQRT_2PI = 0.3989422804014327;
    private static final double INV_SQRT_2PI_LO = -2.49232720227773e-17;

    /** {@code 1/(1+e^{−x})}, evaluated on the side where the exponential cannot overflow. */
    public static double sigmoid(double x) {
        return sigmoid(DD.of(x));
    }

    static double sigmoid(DD x) {
        if (x.hi() >= 0) {
            double e = Math.exp(-x.hi());
            e -= e * x.lo();
            return 1.0 / (1.0 + e);
        }
        double e = Math.exp(x.hi());
        e += e * x.lo();
        return e / (1.0 + e);
    }

    /**
     * {@code φ(x) = e^{−x²/2}/√(2π)}. The square is split exactly ({@code x² = hi + lo} via FMA) so that the
     * exponential does not amplify the rounding of {@code x²} (which would cost |x²/2|·u relative error).
     */
    public static double normalPdf(double x) {
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
    public static double normalCdf(double x) {
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
        return 0.5 + normalPdf(x) * sum;
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
        return normalPdf(x) * f;
    }

    /** {@code w(z) = 2√(2/π)(z + 0.044715 z³)}, so that gelu_new(z) = z·sigmoid(w(z)); double-double. */
    static DD geluTanhArgument(double z) {
        DD z3 = DD.twoProd(z, z).mul(z);
        return GELU_TANH_CUBIC.mul(z3).add(z).mul(SQRT_2_OVER_PI).mul(2.0);
    }

    /** Complex logistic sigmoid {@code 1/(1+e^{−w})}, exponentiating only arguments with Re ≤ 0. */
    public static Complex sigmoid(Complex w) {
        if (w.re() >= 0) return Complex.ONE.divide(w.negate().exp().add(1.0));
        Complex e = w.exp();
        return e.divide(e.add(1.0));
    }

    /** Complex {@code tanh w = 2·sigmoid(2w) − 1}. */
    public static Complex tanh(Complex w) {
        return sigmoid(w.multiply(2.0)).multiply(2.0).add(-1.0);
    }

    /** Complex GELU-tanh inner argument {@code w(z) = 2√(2/π)(z + 0.044715 z³)}. */
    public static Complex geluTanhArgument(Complex z) {
        Complex z3 = z.multiply(z).multiply(z);
        return z.add(z3.multiply(GELU_TANH_CUBIC.hi())).multiply(2.0 * SQRT_2_OVER_PI.hi());
    }
}
