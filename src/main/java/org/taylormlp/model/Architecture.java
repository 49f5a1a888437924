package org.taylormlp.model;

import java.util.Locale;

/** Supported families. Detected from GGUF {@code general.architecture} or HF {@code config.json model_type}. */
public enum Architecture {
    LLAMA("llama", "llama"),
    MISTRAL("mistral", "mistral"),
    QWEN2("qwen2", "qwen2"),
    PHI2("phi2", "phi");

    private final String ggufName;
    private final String hfModelType;

    Architecture(String ggufName, String hfModelType) {
        this.ggufName = ggufName;
        this.hfModelType = hfModelType;
    }

    public String ggufName() { return ggufName; }
    public String hfModelType() { return hfModelType; }

    // ---- what the family fixes; ModelConfig.builder(arch) starts from these

    /** LayerNorm with bias (Phi-2) or RMSNorm (the others). */
    public ModelConfig.NormType normType() { return this == PHI2 ? ModelConfig.NormType.LAYER : ModelConfig.NormType.RMS; }

    /** The RoPE pairing of the family's GGUF weights: llama.cpp permutes Llama/Mistral Q/K to adjacent pairs, not Qwen2/Phi-2. */
    public ModelConfig.RopeStyle ggufRopeStyle() {
        return this == QWEN2 || this == PHI2 ? ModelConfig.RopeStyle.NEOX : ModelConfig.RopeStyle.ADJACENT;
    }

    /** Attention and MLP read the same normed input and are added together (Phi-2). */
    public boolean parallelResidual() { return this == PHI2; }

    /** SwiGLU gate/up/down (true) or fc1/act/fc2 (Phi-2). */
    public boolean gatedMlp() { return this != PHI2; }

    public ModelConfig.Activation defaultActivation() {
        return this == PHI2 ? ModelConfig.Activation.GELU_TANH : ModelConfig.Activation.SILU;
    }

    /** Biases on the Q, K and V projections (Qwen2, Phi-2). */
    public boolean qkvBias() { return this == QWEN2 || this == PHI2; }

    /** Biases on the attention output, the MLP and the output projection (Phi-2). */
    public boolean denseBiases() { return this == PHI2; }

    public static Architecture fromGguf(String s) {
        if (s == null) return null;
        for (Architecture a : values()) if (a.ggufName.equals(s.toLowerCase(Locale.ROOT))) return a;
        return null;
    }

    public static Architecture fromHfModelType(String s) {
        if (s == null) return null;
        String t = s.toLowerCase(Locale.ROOT);
        for (Architecture a : values()) if (a.hfModelType.equals(t)) return a;
        return null;
    }
}
