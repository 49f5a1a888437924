package org.taylormlp.taylor;

import org.taylormlp.model.ModelConfig.Activation;

/**
 * Bounds on the truncation error {@code |σ(z) − Σ_{n≤N} a_n (z−z₀)ⁿ|} over {@code |z − z₀| ≤ h}.
 *
 * <p><b>Cauchy estimate.</b> If σ is analytic on the closed disc {@code |z−z₀| ≤ ρ} and {@code |σ| ≤ M(ρ)} on
 * its boundary, then {@code |a_n| ≤ M/ρⁿ}, and for real or complex {@code |t| ≤ h < ρ}
 * <pre>  |Σ_{n>N} a_n tⁿ| ≤ M(ρ)·q^{N+1}/(1 − q),  q = h/ρ.</pre>
 * The bound is minimised over a set of radii: for a finite radius of convergence R (SiLU, GELU-tanh) 24 radii
 * {@code ρ = h + (R−h)·f}, f from 0.02 to 0.98 (M blows up as ρ → R); for the entire GELU-erf {@code ρ = h·f},
 * f geometric from 1.02 to {@code max(4, 1 + 3√(N+2)/h)} ({@code M} grows like {@code e^{ρ²/2}}, the
 * optimum is near {@code ρ ≈ √N}). For {@code h ≥ R} the series need not converge
 * and the bound is {@code +∞}.
 *
 * <p><b>M(ρ).</b> SiLU and GELU-tanh: {@code |σ|} is evaluated in complex arithmetic at K points of the circle,
 * doubling K from 256 until neighbouring samples differ by at most 2% of the maximum (K ≤ 2¹⁷); the maximum is
 * refined on a fine grid around the best sample and multiplied by a safety factor 1.25. This is rigorous up to
 * the (controlled) sampling of a function that varies by ≪ 25% between samples; it is not an interval proof.
 * GELU-erf uses an exact majorant instead of a complex erf: integrating {@code Φ' = φ} vertically from
 * {@code x = Re z},
 * <pre>  |Φ(x+iy)| ≤ Φ(x) + φ(x)·∫₀^{|y|} e^{v²/2} dv,</pre>
 * where the integral is replaced by its right Riemann sum (an upper bound, the integrand increases), so
 * {@code |σ(z)| ≤ |z|·(Φ(x) + φ(x)·I(|y|))}, sampled on the circle as above.
 *
 * <p><b>Saturation.</b> For N ≥ 1 the tail of σ equals the tail of {@code σ(z) − z} (they differ by a linear
 * polynomial), and {@code σ(z) − z = −z·G(−z)} ({@code G} = sigmoid∘w or Φ) is tiny where σ saturates to the
 * identity; so {@code M(ρ)} is the smaller of the two maxima. Without this, for z₀ = 9 the bound would be
 * ~10¹⁰ times the actual error.
 *
 * <p><b>Floating point.</b> {@link #bound} adds a rounding allowance {@code (2N + 64)·u·Σ|a_n|hⁿ}
 * (u = 2⁻⁵³) covering the Horner evaluation (≤ 2N·u·Σ|a_n||t|ⁿ), the coefficients' own error (measured
 * ≲ 20u relative) and the rounding of σ itself, so that it can be compared with a computed error;
 * {@link #cauchyBound} is the pure truncation bound of the exact series.
 */
public final class TruncationBound {
    private TruncationBound() {}

    private static final double U = 0x1p-53;
    private static final double SAFETY = 1.25;
    private static final int EMPIRICAL_POINTS = 4001;
    private static final int MAX_SAMPLES = 1 << 17;

    /** Truncation bound plus rounding allowance; {@code +∞} when {@code h ≥ radius}. */
    public static double bound(Activation act, double z0, double h, int order) {
        return cauchyBound(act, z0, h, order) + roundingAllowance(act, z0, h, order);
    }

    /** {@code min_ρ M(ρ)·q^{N+1}/(1−q)}: bound on the exact series' tail for {@code |t| ≤ h}. */
    public static double cauchyBound(Activation act, double z0, double h, int order) {
        checkArgs(z0, h, order);
        double r = ConvergenceRadius.radius(act, z0);
        if (h >= r) return Double.POSITIVE_INFINITY;
        if (h == 0) return 0.0;
        double best = Double.POSITIVE_INFINITY;
        int steps = 24;
        // entire case: |σ| grows like e^{ρ²/2} on the circle, so M(ρ)(h/ρ)^{N+1} is smallest near ρ ≈ √(N+1)
        double entireMax = Math.max(4 * h, h + 3 * Math.sqrt(order + 2.0));
        for (int i = 0; i < steps; i++) {
            double f = (double) i / (steps - 1);
            double rho = Double.isInfinite(r)
                    ? 1.02 * h * Math.pow(entireMax / (1.02 * h), f)
                    : h + (r - h) * (0.02 + 0.96 * f);
            double q = h / rho;
            double m = maxModulusOnCircle(act, z0, rho, false);
            if (order >= 1) m = Math.min(m, maxModulusOnCircle(act, z0, rho, true));
            double b = m * Math.pow(q, order + 1) / (1 - q);
            if (b < best) best = b;
        }
        return best;
    }

    /** {@code (2N + 64)·u·Σ_n |a_n| hⁿ}: allowance for evaluating the truncated series in double. */
    public static double roundingAllowance(Activation act, double z0, double h, int order) {
        checkArgs(z0, h, order);
        double[] a = ActivationSeries.coefficients(act, z0, order);
        double s = 0;
        for (int n = order; n >= 0; n--) s = s * h + Math.abs(a[n]);
        return (2.0 * order + 64) * U * s;
    }

    /**
     * Measured error: max over {@value #EMPIRICAL_POINTS} equispaced points of {@code [z₀−h, z₀+h]} of
     * {@code |σ(z) − Σ_{n≤N} a_n (z−z₀)ⁿ|}, in double precision. A lower estimate of the true maximum.
     */
    public static double empiricalError(Activation act, double z0, double h, int order) {
        checkArgs(z0, h, order);
        double[] a = ActivationSeries.coefficients(act, z0, order);
        double worst = 0;
        for (int i = 0; i < EMPIRICAL_POINTS; i++) {
            double z = (z0 - h) + 2 * h * i / (EMPIRICAL_POINTS - 1);
            double e = Math.abs(ActivationSeries.value(act, z) - ActivationSeries.evalTaylor(a, z - z0));
            if (!(e <= worst)) worst = e;   // also propagates NaN
        }
        return worst;
    }

    /**
     * An upper estimate of {@code max |σ(z)|} (or of {@code max |σ(z) − z|} when {@code minusIdentity}) on the
     * circle {@code |z − z₀| = ρ}, times the safety factor; for GELU-erf the majorant described in the class
     * comment. {@code +∞} if ρ reaches a singularity.
     */
    public static double maxModulusOnCircle(Activation act, double z0, double rho, boolean minusIdentity) {
        if (!(rho > 0) || Double.isInfinite(rho)) throw new IllegalArgumentException("radius must be positive and finite: " + rho);
        if (rho >= ConvergenceRadius.radius(act, z0)) return Double.POSITIVE_INFINITY;
        // Adaptive sampling: double K until neighbouring samples differ by at most 2% of the maximum, so the
        // function cannot hide a much larger value between samples (at the scale the sampling resolves).
        int k = 128;
        double[] v = new double[k];
        for (int j = 0; j < k; j++) v[j] = modulus(act, z0, rho, 2 * Math.PI * j / k, minusIdentity);
        double best;
        int bestJ;
        while (true) {
            best = 0;
            bestJ = 0;
            double maxStep = 0;
            for (int j = 0; j < k; j++) {
                if (Double.isNaN(v[j]) || v[j] == Double.POSITIVE_INFINITY) return Double.POSITIVE_INFINITY;
                if (v[j] > best) {
                    best = v[j];
                    bestJ = j;
                }
                maxStep = Math.max(maxStep, Math.abs(v[(j + 1) % k] - v[j]));
            }
            if (maxStep <= 0.02 * best || k >= MAX_SAMPLES) break;
            double[] finer = new double[2 * k];   // keep the old samples, add the midpoints
            for (int j = 0; j < k; j++) {
                finer[2 * j] = v[j];
                finer[2 * j + 1] = modulus(act, z0, rho, 2 * Math.PI * (2 * j + 1) / (2 * k), minusIdentity);
            }
            v = finer;
            k *= 2;
        }
        for (int j = -32; j <= 32; j++) {   // refine between the neighbours of the best sample
            best = Math.max(best, modulus(act, z0, rho, 2 * Math.PI * (bestJ + j / 32.0) / k, minusIdentity));
        }
        return SAFETY * best;
    }

    /** |σ(z)| or |σ(z) − z| = |z·G(−z)| (G = sigmoid∘w or Φ) at {@code z = z₀ + ρe^{iθ}}. */
    private static double modulus(Activation act, double z0, double rho, double theta, boolean minusIdentity) {
        Complex z = Complex.polar(rho, theta).add(z0);
        double sign = minusIdentity ? -1 : 1;
        return switch (act) {
            case SILU -> z.multiply(SpecialFunctions.sigmoid(z.multiply(sign))).abs();
            case GELU_TANH -> z.multiply(SpecialFunctions.sigmoid(SpecialFunctions.geluTanhArgument(z).multiply(sign))).abs();
            case GELU_ERF -> {
                // Φ(−z) = 1 − Φ(z) has the same vertical-integral majorant with Φ(−x) in place of Φ(x)
                double x = z.re(), y = Math.abs(z.im());
                // right Riemann sum of the increasing e^{v²/2} on [0, y]: an upper bound of the integral
                // e^{(i·dv)²/2} by the recurrence term_i = term_{i−1}·q^{2i−1}, q = e^{dv²/2}: one exp per point
                int m = 64;
                double dv = y / m, q = Math.exp(0.5 * dv * dv), q2 = q * q;
                double integral = 0, term = 1, step = q;
                for (int i = 1; i <= m; i++) {
                    term *= step;
                    step *= q2;
                    integral += term;
                }
                integral *= dv;
                yield z.abs() * (SpecialFunctions.normalCdf(sign * x) + SpecialFunctions.normalPdf(x) * integral);
            }
        };
    }

    private static void checkArgs(double z0, double h, int order) {
        if (!Double.isFinite(z0)) throw new IllegalArgumentException("z0 must be finite: " + z0);
        if (!(h >= 0) || Double.isInfinite(h)) throw new IllegalArgumentException("h must be finite and ≥ 0: " + h);
        if (order < 0) throw new IllegalArgumentException("negative order " + order);
    }
}
