package org.taylormlp.taylor;

import org.taylormlp.model.ModelConfig.Activation;

/**
 * Exact Taylor coefficients {@code a_n = σ⁽ⁿ⁾(z₀)/n!} of the MLP activations, by power-series arithmetic
 * ({@link PowerSeries}); no finite differences and no derivative tables.
 *
 * <p>With {@code z = z₀ + t}:
 * <ul>
 *   <li><b>SiLU</b> {@code σ(z) = z·sigmoid(z)}: sigmoid of the linear series {@code z₀ + t} by the Riccati
 *       recurrence {@code s' = s(1−s)} (evaluated on the non-saturated side, see
 *       {@link PowerSeries#sigmoid()}), then the Cauchy product with {@code z₀ + t}:
 *       {@code a_n = z₀ s_n + s_{n−1}}.</li>
 *   <li><b>GELU (erf)</b> {@code σ(z) = z·Φ(z)}, {@code Φ(z) = ½(1+erf(z/√2))}: {@code Φ' = φ} and
 *       {@code φ(z₀+t) = φ(z₀)·exp(−z₀t − t²/2)}, whose series satisfies the Hermite recurrence
 *       {@code n g_n = −z₀ g_{n−1} − g_{n−2}}; then {@code Φ_n = g_{n−1}/n}, {@code Φ₀ = Φ(z₀)}
 *       ({@link SpecialFunctions#normalCdf}), times {@code z₀ + t}.</li>
 *   <li><b>GELU (tanh, "gelu_new")</b> {@code σ(z) = ½z(1 + tanh(√(2/π)(z + 0.044715z³)))}. Since
 *       {@code ½(1 + tanh u) = sigmoid(2u)} this is {@code z·sigmoid(w(z))} with the cubic
 *       {@code w = 2√(2/π)(z + 0.044715z³)} expanded exactly in t; {@code sigmoid ∘ w} follows from
 *       {@code s' = s(1−s)w'}. The sigmoid form matters numerically: for {@code z₀ = −8},
 *       {@code 1 + tanh u ≈ 1e-21} is annihilated by cancellation in the tanh form, but is simply the
 *       small {@code e^{w}/(1+e^{w})} here. {@code w₀} is formed in double-double.</li>
 * </ul>
 * Robust for |z₀| up to ~30 (and beyond, up to underflow of {@code e^{−|w₀|}} or {@code φ(z₀)}, where the
 * coefficients become 0 or subnormal in the saturated factor). Cost O(N²).
 */
public final class ActivationSeries {
    private ActivationSeries() {}

    /** Largest order accepted (the recurrences are O(N²); beyond a few hundred nothing is gained in double). */
    public static final int MAX_ORDER = 4096;

    /** {@code a_n = σ⁽ⁿ⁾(z₀)/n!} for n = 0..order. */
    public static double[] coefficients(Activation act, double z0, int order) {
        return series(act, z0, order).coefficients();
    }

    /** The Taylor series of the activation around {@code z0}, in {@code t = z − z0}, to the given order. */
    public static PowerSeries series(Activation act, double z0, int order) {
        if (order < 0 || order > MAX_ORDER) throw new IllegalArgumentException("order " + order + " not in [0, " + MAX_ORDER + "]");
        if (!Double.isFinite(z0)) throw new IllegalArgumentException("expansion point must be finite: " + z0);
        PowerSeries z = PowerSeries.linear(z0, 1.0, order);
        return switch (act) {
            case SILU -> z.multiply(z.sigmoid());
            case GELU_ERF -> {
                if (order == 0) yield PowerSeries.constant(z0 * SpecialFunctions.normalCdf(z0), 0);
                PowerSeries g = PowerSeries.polynomial(order - 1, 0.0, -z0, -0.5).exp();
                PowerSeries cdf = g.scale(SpecialFunctions.normalPdf(z0)).integral(SpecialFunctions.normalCdf(z0));
                yield z.multiply(cdf);
            }
            case GELU_TANH -> {
                double[] w = new double[order + 1];
                DD w0 = SpecialFunctions.geluTanhArgument(z0);
                // w(z0 + t) = w0 + w1 t + w2 t² + w3 t³ with w1 = 2c(1 + 3A z0²), w2 = 6cA z0, w3 = 2cA.
                DD twoC = SpecialFunctions.SQRT_2_OVER_PI.mul(2.0);
                DD a = SpecialFunctions.GELU_TANH_CUBIC;
                if (order >= 1) w[1] = twoC.mul(a.mul(3.0).mul(DD.twoProd(z0, z0)).add(1.0)).value();
                if (order >= 2) w[2] = twoC.mul(a.mul(3.0).mul(z0)).value();
                if (order >= 3) w[3] = twoC.mul(a).value();
                yield z.multiply(PowerSeries.of(PowerSeries.sigmoid(w0, w)));
            }
        };
    }

    /** The activation itself, in double precision. */
    public static double value(Activation act, double z) {
        return switch (act) {
            case SILU -> z * SpecialFunctions.sigmoid(z);
            case GELU_ERF -> z * SpecialFunctions.normalCdf(z);
            case GELU_TANH -> z * SpecialFunctions.sigmoid(SpecialFunctions.geluTanhArgument(z));
        };
    }


    /** {@code Σ a_n tⁿ} by Horner's rule, {@code t = z − z₀}. */
    public static double evalTaylor(double[] a, double t) {
        return PowerSeries.horner(a, t);
    }
}
