package org.taylormlp.taylor;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.model.ModelConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Chooses, per layer, which MLP neurons to protect and their expansion points from calibration statistics.
 * <ul>
 *   <li>{@code paper:K} (or {@code paper:P%}): the paper's rule — the K neurons with the narrowest calibrated range,
 *       z0 = midpoint of [min, max].</li>
 *   <li>{@code radius:M}: radius-aware — z0 = midpoint, and neuron j is protected only if its calibrated half-range
 *       h_j ≤ M · R(z0_j), where R is the activation's radius of convergence around z0 (SiLU: √(z0² + π²)).
 *       With M &lt; 1 the series converges on the whole calibrated range and on a margin of (1/M − 1)·h beyond it.</li>
 * </ul>
 * The scale r_j normalises t = (g − z0)/r_j: for activations with a finite radius of convergence R_j (SiLU,
 * GELU-tanh) r_j = 0.9·R_j, so |t| ≤ 1 is exactly the region where the series is evaluated safely and the runtime can
 * clip t to ±1 (the default out-of-range policy); for entire activations (GELU-erf) r_j is the calibrated half-range.
 */
public final class Selection {
    private Selection() {}

    /** One layer's choice. {@code neurons} are indices into the MLP hidden dimension, ascending. */
    public record LayerPlan(int layer, int[] neurons, double[] z0, double[] scale, double errorBound) {
        public int count() { return neurons.length; }
    }

    public record Plan(String rule, ModelConfig.Activation activation, int order, List<LayerPlan> layers) {
        public long protectedNeurons() {
            long n = 0;
            for (LayerPlan l : layers) n += l.count();
            return n;
        }
    }

    /** Parses and applies a rule such as "paper:256", "paper:50%" or "radius:0.5". */
    public static Plan select(String rule, CalibrationStats stats, ModelConfig.Activation act, int order) {
        if (order < 0 || order > 64) throw new TaylorMlpException("order N must be in 0..64, got " + order);
        if (stats.tokens() == 0) throw new TaylorMlpException("calibration saw no tokens");
        String r = rule.trim().toLowerCase(Locale.ROOT);
        int colon = r.indexOf(':');
        if (colon < 0) throw new TaylorMlpException("selection rule '" + rule + "' must be paper:K, paper:P% or radius:M");
        String kind = r.substring(0, colon), arg = r.substring(colon + 1);
        List<LayerPlan> layers = new ArrayList<>();
        try {
            for (int l = 0; l < stats.layers(); l++) {
                layers.add(switch (kind) {
                    case "paper" -> paper(stats, l, arg, act, order);
                    case "radius" -> radius(stats, l, Double.parseDouble(arg), act, order);
                    default -> throw new TaylorMlpException("unknown selection rule '" + kind + "' (paper or radius)");
                });
            }
        } catch (NumberFormatException e) {
            throw new TaylorMlpException("bad number in selection rule '" + rule + "'");
        }
        return new Plan(r, act, order, layers);
    }

    private static LayerPlan paper(CalibrationStats s, int l, String arg, ModelConfig.Activation act, int order) {
        int n = s.neurons();
        int k = arg.endsWith("%") ? (int) Math.round(n * Double.parseDouble(arg.substring(0, arg.length() - 1)) / 100.0)
                : Integer.parseInt(arg);
        if (k < 0 || k > n) throw new TaylorMlpException("paper:K needs 0 <= K <= " + n + ", got " + k);
        Integer[] idx = new Integer[n];
        for (int j = 0; j < n; j++) idx[j] = j;
        Arrays.sort(idx, Comparator.comparingDouble((Integer j) -> (double) s.max(l, j) - s.min(l, j)).thenComparingInt(j -> j));
        int[] chosen = new int[k];
        for (int i = 0; i < k; i++) chosen[i] = idx[i];
        Arrays.sort(chosen);
        return plan(s, l, chosen, act, order);
    }

    private static LayerPlan radius(CalibrationStats s, int l, double m, ModelConfig.Activation act, int order) {
        if (!(m > 0)) throw new TaylorMlpException("radius:M needs M > 0, got " + m);
        int[] buf = new int[s.neurons()];
        int k = 0;
        for (int j = 0; j < s.neurons(); j++) {
            double z0 = midpoint(s, l, j), h = halfRange(s, l, j);
            if (h <= m * ConvergenceRadius.radius(act, z0)) buf[k++] = j;
        }
        return plan(s, l, Arrays.copyOf(buf, k), act, order);
    }

    static double midpoint(CalibrationStats s, int l, int j) {
        return ((double) s.min(l, j) + s.max(l, j)) / 2;
    }

    static double halfRange(CalibrationStats s, int l, int j) {
        return ((double) s.max(l, j) - s.min(l, j)) / 2;
    }

    private static LayerPlan plan(CalibrationStats s, int l, int[] chosen, ModelConfig.Activation act, int order) {
        double[] z0 = new double[chosen.length], scale = new double[chosen.length];
        int worst = -1;
        double worstRatio = -1;
        for (int i = 0; i < chosen.length; i++) {
            int j = chosen[i];
            z0[i] = midpoint(s, l, j);
            double h = halfRange(s, l, j);
            double radius = ConvergenceRadius.radius(act, z0[i]);
            scale[i] = Double.isFinite(radius) ? Protection.CLAMP_RADIUS_FRACTION * radius : safeScale(h, z0[i]);
            double ratio = h / radius;
            if (ratio > worstRatio) {
                worstRatio = ratio;
                worst = i;
            }
        }
        // The truncation bound costs tens of milliseconds per call, so it is evaluated for the neuron whose calibrated
        // half-range is the largest fraction of its convergence radius: the one the series treats worst.
        double bound = worst < 0 ? 0 : TruncationBound.bound(act, z0[worst], halfRange(s, l, chosen[worst]), order);
        return new LayerPlan(l, chosen, z0, scale, bound);
    }

    /**
     * The normalising scale: the half-range, kept away from 0 (constant neurons) and from exactly ±1 (so that a
     * scaled gate row never equals the original row byte for byte).
     */
    static double safeScale(double h, double z0) {
        double r = Math.max(h, 1e-3 * Math.max(1.0, Math.abs(z0)));
        if ((float) r == 1.0f) r = Math.nextUp(1.0f) * 1.0000001;
        return r;
    }
}
