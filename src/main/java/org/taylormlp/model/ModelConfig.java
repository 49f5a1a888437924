package org.taylormlp.model;

/**
 * Everything the one forward pass needs to know about a model. Families differ only by these values. Build one with
 * {@link #builder(Architecture)}, which starts from the family's defaults ({@link Architecture#normType()} and the
 * others), and set the sizes by name.
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
        return toBuilder().tiedEmbeddings(tied).build();
    }

    public ModelConfig withContextLength(int n) {
        return toBuilder().contextLength(n).build();
    }

    /**
     * A builder with the family's defaults: its norm, RoPE pairing (the GGUF layout), residual form, MLP form,
     * activation and biases; RMS/LayerNorm eps 1e-5, θ = 10000, context 2048, BOS 1, EOS 2, untied embeddings, no
     * sliding window or RoPE scaling. Unless set, nKvHeads = nHeads, headDim = dim / nHeads and rotaryDim = headDim.
     */
    public static Builder builder(Architecture architecture) {
        return new Builder(architecture);
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        Builder b = new Builder(architecture);
        b.dim = dim; b.hiddenDim = hiddenDim; b.nLayers = nLayers; b.nHeads = nHeads; b.nKvHeads = nKvHeads; b.headDim = headDim;
        b.vocabSize = vocabSize; b.contextLength = contextLength; b.normEps = normEps; b.normType = normType; b.ropeTheta = ropeTheta;
        b.ropeStyle = ropeStyle; b.rotaryDim = rotaryDim; b.ropeScaling = ropeScaling; b.slidingWindow = slidingWindow;
        b.parallelResidual = parallelResidual; b.gatedMlp = gatedMlp; b.activation = activation; b.attnQkvBias = attnQkvBias;
        b.attnOutBias = attnOutBias; b.mlpBias = mlpBias; b.outputBias = outputBias; b.tiedEmbeddings = tiedEmbeddings;
        b.bosId = bosId; b.eosId = eosId;
        return b;
    }

    /** Sets a {@link ModelConfig}'s values by name; {@link #build()} does not validate (see {@link ModelConfig#problem()}). */
    public static final class Builder {
        /** A value not set: derived in {@link #build()} (a bad value read from a file stays bad, for {@link #problem()}). */
        private static final int UNSET = Integer.MIN_VALUE;
        private final Architecture architecture;
        private int dim, hiddenDim, nLayers, nHeads, vocabSize, contextLength = 2048;
        private int nKvHeads = UNSET, headDim = UNSET, rotaryDim = UNSET;
        private float normEps = 1e-5f;
        private NormType normType;
        private double ropeTheta = 10000.0;
        private RopeStyle ropeStyle;
        private RopeScaling ropeScaling;
        private int slidingWindow;
        private boolean parallelResidual, gatedMlp;
        private Activation activation;
        private boolean attnQkvBias, attnOutBias, mlpBias, outputBias, tiedEmbeddings;
        private int bosId = 1, eosId = 2;

        private Builder(Architecture a) {
            this.architecture = java.util.Objects.requireNonNull(a, "architecture");
            normType = a.normType();
            ropeStyle = a.ggufRopeStyle();
            parallelResidual = a.parallelResidual();
            gatedMlp = a.gatedMlp();
            activation = a.defaultActivation();
            attnQkvBias = a.qkvBias();
            attnOutBias = mlpBias = outputBias = a.denseBiases();
        }

        public Builder dim(int v) { dim = v; return this; }
        public Builder hiddenDim(int v) { hiddenDim = v; return this; }
        public Builder nLayers(int v) { nLayers = v; return this; }
        public Builder nHeads(int v) { nHeads = v; return this; }
        public Builder nKvHeads(int v) { nKvHeads = v; return this; }
        public Builder headDim(int v) { headDim = v; return this; }
        public Builder vocabSize(int v) { vocabSize = v; return this; }
        public Builder contextLength(int v) { contextLength = v; return this; }
        public Builder normEps(float v) { normEps = v; return this; }
        public Builder normType(NormType v) { normType = v; return this; }
        public Builder ropeTheta(double v) { ropeTheta = v; return this; }
        public Builder ropeStyle(RopeStyle v) { ropeStyle = v; return this; }
        public Builder rotaryDim(int v) { rotaryDim = v; return this; }
        public Builder ropeScaling(RopeScaling v) { ropeScaling = v; return this; }
        public Builder slidingWindow(int v) { slidingWindow = v; return this; }
        public Builder parallelResidual(boolean v) { parallelResidual = v; return this; }
        public Builder gatedMlp(boolean v) { gatedMlp = v; return this; }
        public Builder activation(Activation v) { activation = v; return this; }
        public Builder attnQkvBias(boolean v) { attnQkvBias = v; return this; }
        public Builder attnOutBias(boolean v) { attnOutBias = v; return this; }
        public Builder mlpBias(boolean v) { mlpBias = v; return this; }
        public Builder outputBias(boolean v) { outputBias = v; return this; }
        public Builder tiedEmbeddings(boolean v) { tiedEmbeddings = v; return this; }
        public Builder bosId(int v) { bosId = v; return this; }
        public Builder eosId(int v) { eosId = v; return this; }

        public ModelConfig build() {
            int kv = nKvHeads != UNSET ? nKvHeads : nHeads;
            int hd = headDim != UNSET ? headDim : nHeads > 0 ? dim / nHeads : 0;
            return new ModelConfig(architecture, dim, hiddenDim, nLayers, nHeads, kv, hd, vocabSize, contextLength, normEps,
                    normType, ropeTheta, ropeStyle, rotaryDim != UNSET ? rotaryDim : hd, ropeScaling, slidingWindow, parallelResidual,
                    gatedMlp, activation, attnQkvBias, attnOutBias, mlpBias, outputBias, tiedEmbeddings, bosId, eosId);
        }
    }
}
