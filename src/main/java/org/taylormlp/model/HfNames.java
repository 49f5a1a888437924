package org.taylormlp.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one table from Hugging Face tensor names to canonical ({@link TensorNames}) names, per family.
 * Per-layer entries are suffixes after {@code model.layers.N.}.
 */
public final class HfNames {
    private HfNames() {}

    private static final Map<String, String> LLAMA_GLOBAL = Map.of(
            "model.embed_tokens.weight", TensorNames.TOKEN_EMBD,
            "model.norm.weight", TensorNames.OUTPUT_NORM,
            "lm_head.weight", TensorNames.OUTPUT);

    private static final Map<String, String> LLAMA_LAYER = ordered(
            "input_layernorm.weight", TensorNames.ATTN_NORM,
            "self_attn.q_proj.weight", TensorNames.ATTN_Q,
            "self_attn.k_proj.weight", TensorNames.ATTN_K,
            "self_attn.v_proj.weight", TensorNames.ATTN_V,
            "self_attn.q_proj.bias", TensorNames.ATTN_Q_BIAS,
            "self_attn.k_proj.bias", TensorNames.ATTN_K_BIAS,
            "self_attn.v_proj.bias", TensorNames.ATTN_V_BIAS,
            "self_attn.o_proj.weight", TensorNames.ATTN_OUT,
            "post_attention_layernorm.weight", TensorNames.FFN_NORM,
            "mlp.gate_proj.weight", TensorNames.FFN_GATE,
            "mlp.up_proj.weight", TensorNames.FFN_UP,
            "mlp.down_proj.weight", TensorNames.FFN_DOWN);

    private static final Map<String, String> PHI_GLOBAL = Map.of(
            "model.embed_tokens.weight", TensorNames.TOKEN_EMBD,
            "model.final_layernorm.weight", TensorNames.OUTPUT_NORM,
            "model.final_layernorm.bias", TensorNames.OUTPUT_NORM_BIAS,
            "lm_head.weight", TensorNames.OUTPUT,
            "lm_head.bias", TensorNames.OUTPUT_BIAS);

    private static final Map<String, String> PHI_LAYER = ordered(
            "input_layernorm.weight", TensorNames.ATTN_NORM,
            "input_layernorm.bias", TensorNames.ATTN_NORM_BIAS,
            "self_attn.q_proj.weight", TensorNames.ATTN_Q,
            "self_attn.k_proj.weight", TensorNames.ATTN_K,
            "self_attn.v_proj.weight", TensorNames.ATTN_V,
            "self_attn.q_proj.bias", TensorNames.ATTN_Q_BIAS,
            "self_attn.k_proj.bias", TensorNames.ATTN_K_BIAS,
            "self_attn.v_proj.bias", TensorNames.ATTN_V_BIAS,
            "self_attn.dense.weight", TensorNames.ATTN_OUT,
            "self_attn.dense.bias", TensorNames.ATTN_OUT_BIAS,
            "mlp.fc1.weight", TensorNames.FFN_UP,
            "mlp.fc1.bias", TensorNames.FFN_UP_BIAS,
            "mlp.fc2.weight", TensorNames.FFN_DOWN,
            "mlp.fc2.bias", TensorNames.FFN_DOWN_BIAS);

    private static Map<String, String> ordered(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    public static Map<String, String> global(Architecture a) {
        return a == Architecture.PHI2 ? PHI_GLOBAL : LLAMA_GLOBAL;
    }

    public static Map<String, String> layer(Architecture a) {
        return a == Architecture.PHI2 ? PHI_LAYER : LLAMA_LAYER;
    }

    /** Canonical name for an HF tensor name, or null if the table has none. */
    public static String toCanonical(Architecture a, String hf) {
        String g = global(a).get(hf);
        if (g != null) return g;
        if (hf.startsWith("model.layers.")) {
            int dot = hf.indexOf('.', "model.layers.".length());
            if (dot < 0) return null;
            String idx = hf.substring("model.layers.".length(), dot);
            if (!idx.chars().allMatch(Character::isDigit) || idx.isEmpty() || idx.length() > 6) return null;
            String s = layer(a).get(hf.substring(dot + 1));
            return s == null ? null : "blk." + Integer.parseInt(idx) + "." + s;
        }
        return null;
    }

    /** HF name for a canonical name (inverse of {@link #toCanonical}), or null. */
    public static String toHf(Architecture a, String canonical) {
        for (Map.Entry<String, String> e : global(a).entrySet()) if (e.getValue().equals(canonical)) return e.getKey();
        if (canonical.startsWith("blk.")) {
            int dot = canonical.indexOf('.', 4);
            String idx = canonical.substring(4, dot), suffix = canonical.substring(dot + 1);
            for (Map.Entry<String, String> e : layer(a).entrySet()) {
                if (e.getValue().equals(suffix)) return "model.layers." + idx + "." + e.getKey();
            }
        }
        return null;
    }
}
