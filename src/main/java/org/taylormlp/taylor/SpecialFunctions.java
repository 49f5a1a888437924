package org.taylormlp.taylor;

import org.taylormlp.tensor.Normal;

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

    /** {@code φ(x) = e^{−x²/2}/√(2π)}, as {@link Normal#pdf}. */
    public static double normalPdf(double x) {
        return Normal.pdf(x);
    }

    /** Standard normal distribution function Φ, as {@link Normal#cdf} (accurate in both tails). */
    public static double normalCdf(double x) {
        return Normal.cdf(x);
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
