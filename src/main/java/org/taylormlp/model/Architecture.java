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
