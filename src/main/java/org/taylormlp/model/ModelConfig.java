package org.taylormlp.model;

/**
 * Everything the one forward pass needs to know about a model. Families differ only by these values.
 *
 * @param hiddenDim     MLP intermediate size
 * @param headDim       per-head dimension (usually dim / nHeads)
 * @param rotaryDim     number of leading dimensions of each head that RoPE rotates (partial rotary: Phi-2)
 * @param ropeStyle     ADJACENT rotates pairs (2i, 2i+1) (llama2.c, GGUF llama); NEOX rotates (i, i + rotaryDim/2)
 * @param slidingWindow attention window in tokens, 0 = full causal attention
 * @param parallelResidual x + attn(norm(x)) + mlp(norm(x)) with one norm (Phi-2)
 * @param gatedMlp      SwiGLU-style gate/up/down (true) or plain fc1/act/fc2 (false)
 */
public record ModelConfig(
        Architecture architecture,
        int dim,
        int hiddenDim,
        int nLayers,
        int nHeads,
        int nKvHeads,
        int headDim,
        int vocabSize,
        int contextLength,
        float normEps,
        NormType normType,
        double ropeTheta,
        RopeStyle ropeStyle,
        int rotaryDim,
        RopeScaling ropeScaling,
        int slidingWindow,
        boolean parallelResidual,
        boolean gatedMlp,
        Activation activation,
        boolean attnQkvBias,
        boolean attnOutBias,
        boolean mlpBias,
        boolean outputBias,
        boolean tiedEmbeddings,
        int bosId,
        int eosId) {

    public enum NormType { RMS, LAYER }

    public enum RopeStyle { ADJACENT, NEOX }

    public enum Activation {
        SILU, GELU_ERF, GELU_TANH;
    }

    /** Llama-3.1 style frequency scaling ("rope_type": "llama3"); null when absent. */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {}

    public int kvDim() { return nKvHeads * headDim; }

    public int qDim() { return nHeads * headDim; }

    /** Checks invariants the forward pass relies on; returns a problem description or null. */
    public String problem() {
        if (dim <= 0 || hiddenDim <= 0 || nLayers <= 0 || nHeads <= 0 || nKvHeads <= 0 || headDim <= 0 || vocabSize <= 0)
            return "non-positive dimension in " + this;
        if (dim > 1 << 20 || hiddenDim > 1 << 22 || nLayers > 4096 || nHeads > 4096 || vocabSize > 1 << 24 || headDim > 4096)
            return "absurd dimension in " + this;
        if (nHeads % nKvHeads != 0) return "n_heads " + nHeads + " is not a multiple of n_kv_heads " + nKvHeads;
        if (rotaryDim < 0 || rotaryDim > headDim || rotaryDim % 2 != 0) return "bad rotary dimension " + rotaryDim;
        if (contextLength <= 0) return "non-positive context length " + contextLength;
        return null;
    }

    public ModelConfig withTiedEmbeddings(boolean tied) {
        return new ModelConfig(architecture, dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, contextLength,
                normEps, normType, ropeTheta, ropeStyle, rotaryDim, ropeScaling, slidingWindow, parallelResidual, gatedMlp,
                activation, attnQkvBias, attnOutBias, mlpBias, outputBias, tied, bosId, eosId);
    }

    public ModelConfig withContextLength(int n) {
        return new ModelConfig(architecture, dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, n, normEps,
                normType, ropeTheta, ropeStyle, rotaryDim, ropeScaling, slidingWindow, parallelResidual, gatedMlp,
                activation, attnQkvBias, attnOutBias, mlpBias, outputBias, tiedEmbeddings, bosId, eosId);
    }
}
