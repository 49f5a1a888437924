package org.taylormlp.taylor;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Per-layer, per-neuron statistics of the activation input (SwiGLU gate pre-activation, or fc1 output incl. bias
 * for plain GELU MLPs): count, min, max, mean, std, and quantiles from a fixed-size uniform reservoir sample.
 */
public final class CalibrationStats {
    /** Quantile levels reported by {@link #quantile}. */
    public static final double[] LEVELS = {0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999};

    private final int layers, neurons, reservoirSize;
    private final long[] count;
    private final float[][] min, max;
    private final double[][] sum, sumSq;
    private final float[][][] reservoir; // [layer][neuron][k]
    private final SplittableRandom random = new SplittableRandom(0x7a11);
    private float[][][] quantiles; // [layer][neuron][LEVELS.length], filled by finish() or on load

    public CalibrationStats(int layers, int neurons, int reservoirSize) {
        this.layers = layers;
        this.neurons = neurons;
        this.reservoirSize = reservoirSize;
        count = new long[layers];
        min = new float[layers][neurons];
        max = new float[layers][neurons];
        sum = new double[layers][neurons];
        sumSq = new double[layers][neurons];
        reservoir = new float[layers][neurons][reservoirSize];
        for (float[] r : min) Arrays.fill(r, Float.POSITIVE_INFINITY);
        for (float[] r : max) Arrays.fill(r, Float.NEGATIVE_INFINITY);
    }

    /** Rebuilds finished statistics (from a saved file). */
    CalibrationStats(long tokens, float[][] min, float[][] max, double[][] mean, double[][] std, float[][][] quantiles) {
        this.layers = min.length;
        this.neurons = min[0].length;
        this.reservoirSize = 0;
        this.count = new long[layers];
        Arrays.fill(count, tokens);
        this.min = min;
        this.max = max;
        this.sum = new double[layers][neurons];
        this.sumSq = new double[layers][neurons];
        for (int l = 0; l < layers; l++) {
            for (int j = 0; j < neurons; j++) {
                sum[l][j] = mean[l][j] * tokens;
                sumSq[l][j] = (std[l][j] * std[l][j] + mean[l][j] * mean[l][j]) * tokens;
            }
        }
        this.reservoir = null;
        this.quantiles = quantiles;
    }

    /** Records one token's activation inputs of one layer. */
    public void accept(int layer, float[] values, int off) {
        long c = count[layer]++;
        float[] mn = min[layer], mx = max[layer];
        double[] s = sum[layer], s2 = sumSq[layer];
        int slot = c < reservoirSize ? (int) c : (int) random.nextLong(c + 1);
        boolean keep = slot < reservoirSize;
        for (int j = 0; j < neurons; j++) {
            float v = values[off + j];
            if (v < mn[j]) mn[j] = v;
            if (v > mx[j]) mx[j] = v;
            s[j] += v;
            s2[j] += (double) v * v;
            if (keep) reservoir[layer][j][slot] = v;
        }
    }

    /** Computes quantiles from the reservoirs; call once after the last {@link #accept}. */
    public void finish() {
        if (reservoir == null) return;
        quantiles = new float[layers][neurons][LEVELS.length];
        for (int l = 0; l < layers; l++) {
            int n = (int) Math.min(count[l], reservoirSize);
            for (int j = 0; j < neurons; j++) {
                float[] v = Arrays.copyOf(reservoir[l][j], n);
                Arrays.sort(v);
                for (int q = 0; q < LEVELS.length; q++) {
                    quantiles[l][j][q] = n == 0 ? Float.NaN : v[(int) Math.min(n - 1, Math.floor(LEVELS[q] * n))];
                }
            }
        }
    }

    public int layers() { return layers; }
    public int neurons() { return neurons; }
    public long tokens() { return count.length == 0 ? 0 : count[0]; }
    public float min(int l, int j) { return min[l][j]; }
    public float max(int l, int j) { return max[l][j]; }
    public double mean(int l, int j) { return count[l] == 0 ? Double.NaN : sum[l][j] / count[l]; }

    public double std(int l, int j) {
        if (count[l] == 0) return Double.NaN;
        double m = mean(l, j);
        return Math.sqrt(Math.max(0, sumSq[l][j] / count[l] - m * m));
    }

    /** Quantile {@code LEVELS[q]} of neuron j in layer l (after {@link #finish}). */
    public float quantile(int l, int j, int q) {
        if (quantiles == null) throw new IllegalStateException("finish() not called");
        return quantiles[l][j][q];
    }

    float[][][] quantiles() { return quantiles; }
}
