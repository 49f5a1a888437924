package org.taylormlp.nn;

import org.taylormlp.model.ModelConfig;

/**
 * Rotary position embedding. Frequencies θ_i = base^(−2i/rotaryDim) are computed in float as llama2.c and
 * llama.cpp do, optionally rescaled by Llama-3.1's rule or divided by per-pair factors (GGUF
 * {@code rope_freqs.weight}). ADJACENT rotates pairs (2i, 2i+1); NEOX rotates (i, i + rotaryDim/2).
 */
public final class Rope {
    private final float[] invFreq;
    private final int rotaryDim;
    private final boolean neox;
    private final float[] cos, sin;

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
