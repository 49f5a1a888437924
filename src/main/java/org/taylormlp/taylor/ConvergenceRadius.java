package org.taylormlp.taylor;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.taylormlp.model.ModelConfig.Activation;

/**
 * Radius of convergence of the Taylor series of an activation around a real point z₀: the distance from z₀ to
 * the nearest complex singularity (Cauchy–Hadamard; all three activations are meromorphic).
 * <ul>
 *   <li><b>SiLU</b> {@code z/(1+e^{−z})}: simple poles where {@code e^{−z} = −1}, i.e. {@code z = ±iπ(2k+1)};
 *       the nearest are {@code ±iπ}, so {@code R = √(z₀² + π²)}.</li>
 *   <li><b>GELU (erf)</b>: entire, {@code R = +∞}.</li>
 *   <li><b>GELU (tanh)</b> {@code z·sigmoid(w(z))}, {@code w = 2c(z + Az³)}, c = √(2/π), A = 0.044715: poles
 *       where {@code w(z) = iπ(2k+1)}, i.e. roots of the cubic {@code Az³ + z − iπ(k+½)/c = 0}, k ∈ ℤ
 *       (k &lt; 0 gives the complex conjugates, same distances). The roots are solved by Cardano's formula in
 *       complex arithmetic and polished by Newton's method. Since {@code |Az³+z| ≤ A|z|³+|z|}, every root for
 *       index k has {@code |z| ≥ m_k}, the real root of {@code Am³ + m = π(k+½)/c}; the search over k stops once
 *       {@code m_k − |z₀|} exceeds the best distance found. Example: R(0) ≈ 2.827 (poles ±0.634 + 2.755i).</li>
 * </ul>
 */
public final class ConvergenceRadius {
    private ConvergenceRadius() {}

    private static final double C = SpecialFunctions.SQRT_2_OVER_PI.hi();
    private static final double A = SpecialFunctions.GELU_TANH_CUBIC.hi();

    /** Radius of convergence of the activation's Taylor series at real {@code z0}. */
    public static double radius(Activation act, double z0) {
        return switch (act) {
            case SILU -> Math.hypot(z0, Math.PI);
            case GELU_ERF -> Double.POSITIVE_INFINITY;
            case GELU_TANH -> nearestSingularity(act, z0).orElseThrow().subtract(Complex.of(z0, 0)).abs();
        };
    }

    /** A nearest singularity (the one with Im ≥ 0 of a conjugate pair); empty for the entire GELU-erf. */
    public static Optional<Complex> nearestSingularity(Activation act, double z0) {
        return switch (act) {
            case SILU -> Optional.of(Complex.of(0, Math.PI));
            case GELU_ERF -> Optional.empty();
            case GELU_TANH -> {
                Complex best = null;
                double bestDist = Double.POSITIVE_INFINITY;
                for (int k = 0; ; k++) {
                    if (lowerModulus(k) - Math.abs(z0) > bestDist) break;
                    for (Complex r : geluTanhPoles(k)) {
                        double d = Math.hypot(r.re() - z0, r.im());
                        if (d < bestDist) {
                            bestDist = d;
                            best = r;
                        }
                    }
                }
                yield Optional.of(best);
            }
        };
    }

    /**
     * The three poles of gelu_new with {@code w(z) = iπ(2k+1)}, i.e. the roots of
     * {@code z³ + pz + q = 0}, {@code p = 1/A}, {@code q = −iπ(k+½)/(cA)}.
     */
    public static List<Complex> geluTanhPoles(int k) {
        double p = 1.0 / A;
        Complex q = Complex.of(0, -Math.PI * (k + 0.5) / (C * A));
        // Cardano: z = u − p/(3u), u³ = −q/2 ± √(q²/4 + p³/27); take the sign giving the larger |u³|.
        Complex disc = q.multiply(q).multiply(0.25).add(p * p * p / 27.0).sqrt();
        Complex half = q.multiply(-0.5);
        Complex u3 = half.add(disc).abs() >= half.subtract(disc).abs() ? half.add(disc) : half.subtract(disc);
        Complex u = u3.cbrt();
        Complex omega = Complex.polar(1.0, 2 * Math.PI / 3);
        List<Complex> roots = new ArrayList<>(3);
        for (int j = 0; j < 3; j++) {
            Complex z = u.subtract(Complex.of(p / 3.0, 0).divide(u));
            for (int it = 0; it < 8; it++) {     // Newton polish on f(z) = z³ + pz + q
                Complex f = z.multiply(z).multiply(z).add(z.multiply(p)).add(q);
                Complex df = z.multiply(z).multiply(3.0).add(p);
                z = z.subtract(f.divide(df));
            }
            roots.add(z);
            u = u.multiply(omega);
        }
        return roots;
    }

    /** Real root of {@code Am³ + m = π(k+½)/c} (a lower bound on the modulus of the index-k poles). */
    private static double lowerModulus(int k) {
        double target = Math.PI * (k + 0.5) / C;
        double m = Math.min(target, Math.cbrt(target / A));
        for (int it = 0; it < 60; it++) m -= (A * m * m * m + m - target) / (3 * A * m * m + 1);
        return m * (1 - 1e-12);
    }
}
