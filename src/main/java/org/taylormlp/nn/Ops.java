package org.taylormlp.nn;

import org.taylormlp.tensor.Normal;

/** The activations one value at a time (the forward pass itself calls them through {@link org.taylormlp.tensor.Kernels}). */
public final class Ops {
    private Ops() {}

    public static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    public static float silu(float x) {
        return (float) (x / (1.0 + Math.exp(-x)));
    }

    public static float geluTanh(float x) {
        double t = Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x));
        return (float) (0.5 * x * (1.0 + t));
    }

    /** Exact GELU, x · Φ(x) (Φ from {@link Normal}, the engine's one erf). */
    public static float geluErf(float x) {
        return (float) (x * Normal.cdf(x));
    }
}
