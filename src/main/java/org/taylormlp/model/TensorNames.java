package org.taylormlp.model;

/**
 * Canonical tensor names inside the engine. They are GGUF's names, so a GGUF file needs no table; the other
 * formats map onto these (llama2.c: {@code Llama2cReader}; HF folders: {@link HfNames}).
 */
public final class TensorNames {
    private TensorNames() {}

    public static final String TOKEN_EMBD = "token_embd.weight";
    public static final String OUTPUT_NORM = "output_norm.weight";
    public static final String OUTPUT_NORM_BIAS = "output_norm.bias";
    public static final String OUTPUT = "output.weight";
    public static final String OUTPUT_BIAS = "output.bias";

    public static final String ATTN_NORM = "attn_norm.weight";
    public static final String ATTN_NORM_BIAS = "attn_norm.bias";
    public static final String ATTN_Q = "attn_q.weight";
    public static final String ATTN_K = "attn_k.weight";
    public static final String ATTN_V = "attn_v.weight";
    public static final String ATTN_Q_BIAS = "attn_q.bias";
    public static final String ATTN_K_BIAS = "attn_k.bias";
    public static final String ATTN_V_BIAS = "attn_v.bias";
    public static final String ATTN_OUT = "attn_output.weight";
    public static final String ATTN_OUT_BIAS = "attn_output.bias";
    public static final String FFN_NORM = "ffn_norm.weight";
    public static final String FFN_GATE = "ffn_gate.weight";
    public static final String FFN_UP = "ffn_up.weight";
    public static final String FFN_UP_BIAS = "ffn_up.bias";
    public static final String FFN_DOWN = "ffn_down.weight";
    public static final String FFN_DOWN_BIAS = "ffn_down.bias";

    /** "blk.{layer}.{suffix}". */
    public static String blk(int layer, String suffix) {
        return "blk." + layer + "." + suffix;
    }
}
