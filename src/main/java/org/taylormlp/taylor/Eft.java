package org.taylormlp.taylor;

/**
 * Error-free transformations (Knuth TwoSum, FMA-based TwoProduct) and the compensated accumulator built on them.
 *
 * <p>Every coefficient recurrence in this package ends in a convolution {@code Σ x_k·y_{n−k}}. Accumulating those
 * with {@link Acc} (the Ogita–Rump–Oishi "Dot2" scheme) gives a result as accurate as if the sum had been
 * formed in twice the working precision and then rounded: relative error ≈ u + u²·cond, u = 2⁻⁵³. It costs a
 * few extra flops per term, which is nothing next to the O(N²) recurrences of order ≤ a few hundred.
 */
final class Eft {
    private Eft() {}

    /** Compensated sum of products; {@link #value()} returns the rounded double-double total. */
    static final class Acc {
        private double s;
        private double c;

        Acc add(double a) {
            double t = s + a;
            double z = t - s;
            c += (s - (t - z)) + (a - z);
            s = t;
            return this;
        }

        Acc addProduct(double a, double b) {
            double p = a * b;
            c += Math.fma(a, b, -p);
            return add(p);
        }

        double value() {
            return s + c;
        }
    }

    /** {@code Σ_{k=from..to} x[k]·y[n−k]}, compensated. Empty range gives 0. */
    static double conv(double[] x, int from, int to, double[] y, int n) {
        Acc acc = new Acc();
        for (int k = from; k <= to; k++) acc.addProduct(x[k], y[n - k]);
        return acc.value();
    }
}
