package org.taylormlp.nn;

import org.taylormlp.model.ModelConfig;
import org.taylormlp.tensor.Kernels;

/**
 * Rotary position embedding. Frequencies θ_i = base^(−2i/rotaryDim) are computed in float as llama2.c and
 * llama.cpp do, optionally rescaled by Llama-3.1's rule or divided by per-pair factors (GGUF
 * {@code rope_freqs.weight}). ADJACENT rotates pairs (2i, 2i+1); NEOX rotates (i, i + rotaryDim/2).
 */
public final class Rope {
    private final float[] invFreq;
    private final int rotaryDim;
    private final boolean neox;
    private final float[] cos, sin, scratch;

    public Rope(ModelConfig cfg, float[] freqFactors) {
        this.rotaryDim = cfg.rotaryDim();
        this.neox = cfg.ropeStyle() == ModelConfig.RopeStyle.NEOX;
        int half = rotaryDim / 2;
        invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            double f = 1.0 / Math.pow(cfg.ropeTheta(), (2.0 * i) / rotaryDim);
            ModelConfig.RopeScaling s = cfg.ropeScaling();
            if (s != null) f = llama3Scale(f, s);
            if (freqFactors != null) f /= freqFactors[i];
            invFreq[i] = (float) f;
        }
        cos = new float[half];
        sin = new float[half];
        scratch = new float[rotaryDim];
    }

    static double llama3Scale(double freq, ModelConfig.RopeScaling s) {
        double lowWavelen = s.originalMaxPositions() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositions() / s.highFreqFactor();
        double wavelen = 2 * Math.PI / freq;
        if (wavelen < highWavelen) return freq;
        if (wavelen > lowWavelen) return freq / s.factor();
        double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
        return (1 - smooth) * freq / s.factor() + smooth * freq;
    }

    /** Prepares the rotation for position {@code pos}; then {@link #apply} each head. */
    public void setPosition(int pos) {
        for (int i = 0; i < invFreq.length; i++) {
            float angle = pos * invFreq[i];
            cos[i] = (float) Math.cos(angle);
            sin[i] = (float) Math.sin(angle);
        }
    }

    /**
     * Rotates the head starting at x[off] in place and leaves it in the half-split order: element i of a rotated
     * pair at i, its partner at i + rotaryDim/2 (the non-rotated tail stays in place). For NEOX this is
     * {@link #apply}; for ADJACENT the pairs (2i, 2i+1) are first moved to (i, i + rotaryDim/2). Each pair goes
     * through the same float operations as in {@link #apply}, so the two layouts of the same weights (GGUF
     * adjacent, Hugging Face half-split) give bit-identical vectors, and any dot product of them (attention
     * scores) is then bit-identical too, whatever its summation order. Dot products are invariant under the
     * permutation, so the scores equal those of the unpermuted vectors (up to summation order). The rotation
     * itself is {@link Kernels#rope}.
     */
    public void applyHalfSplit(Kernels k, float[] x, int off) {
        int half = rotaryDim / 2;
        if (!neox) {
            for (int i = 0; i < half; i++) {
                scratch[i] = x[off + 2 * i];
                scratch[half + i] = x[off + 2 * i + 1];
            }
            System.arraycopy(scratch, 0, x, off, rotaryDim);
        }
        k.rope(x, off, cos, sin, half);
    }

    /** Rotates the head starting at x[off] in place. */
    public void apply(float[] x, int off) {
        int half = rotaryDim / 2;
        if (neox) {
            for (int i = 0; i < half; i++) {
                float a = x[off + i], b = x[off + i + half];
                x[off + i] = a * cos[i] - b * sin[i];
                x[off + i + half] = a * sin[i] + b * cos[i];
            }
        } else {
            for (int i = 0; i < half; i++) {
                float a = x[off + 2 * i], b = x[off + 2 * i + 1];
                x[off + 2 * i] = a * cos[i] - b * sin[i];
                x[off + 2 * i + 1] = a * sin[i] + b * cos[i];
            }
        }
    }
}
