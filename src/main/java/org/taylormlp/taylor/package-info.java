/**
 * Series mathematics for TaylorMLP: exact Taylor coefficients {@code a_n = σ⁽ⁿ⁾(z₀)/n!} of the MLP activations
 * (SiLU, GELU-erf, GELU-tanh) by power-series arithmetic ({@link org.taylormlp.taylor.PowerSeries},
 * {@link org.taylormlp.taylor.ActivationSeries}), radii of convergence from the complex singularities
 * ({@link org.taylormlp.taylor.ConvergenceRadius}), and truncation-error bounds by Cauchy estimates
 * ({@link org.taylormlp.taylor.TruncationBound}). Everything is double precision with compensated
 * convolutions and double-double where a single rounding is amplified; nothing here uses bf16, finite
 * differences or truncated derivative tables.
 *
 * <p>Consequence for protection (paper §5.6): for SiLU the series around z₀ converges only for
 * {@code |z − z₀| < √(z₀² + π²)}; beyond it, a larger order N makes the error worse. GELU-tanh likewise has a
 * finite radius (≈ 2.83 at z₀ = 0); GELU-erf is entire.
 */
package org.taylormlp.taylor;
