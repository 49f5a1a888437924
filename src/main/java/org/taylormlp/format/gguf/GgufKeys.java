package org.taylormlp.format.gguf;

/**
 * The GGUF metadata keys this project reads and writes, in one table (as llama.cpp keeps its {@code LLM_KV_NAMES}):
 * the readers ({@code ModelLoader}, {@code Tokenizers}) and the writers ({@code ModelWriters}, {@code Vocabulary})
 * name keys only through these constants, so a key cannot be spelled one way on write and another on read.
 *
 * <p>Per-architecture keys are templates with {@code %s} for the architecture's GGUF name; {@link #of} fills it in
 * ({@code of(CONTEXT_LENGTH, "llama")} is {@code llama.context_length}).
 */
public final class GgufKeys {
    private GgufKeys() {}

    // ---- general.*
    public static final String ARCHITECTURE = "general.architecture";
    public static final String NAME = "general.name";
    public static final String ALIGNMENT = "general.alignment";
    public static final String FILE_TYPE = "general.file_type";

    // ---- {arch}.*
    public static final String VOCAB_SIZE = "%s.vocab_size";
    public static final String CONTEXT_LENGTH = "%s.context_length";
    public static final String EMBEDDING_LENGTH = "%s.embedding_length";
    public static final String BLOCK_COUNT = "%s.block_count";
    public static final String FEED_FORWARD_LENGTH = "%s.feed_forward_length";
    public static final String ATTENTION_HEAD_COUNT = "%s.attention.head_count";
    public static final String ATTENTION_HEAD_COUNT_KV = "%s.attention.head_count_kv";
    public static final String ATTENTION_KEY_LENGTH = "%s.attention.key_length";
    public static final String ATTENTION_VALUE_LENGTH = "%s.attention.value_length";
    public static final String ATTENTION_LAYERNORM_EPS = "%s.attention.layer_norm_epsilon";
    public static final String ATTENTION_LAYERNORM_RMS_EPS = "%s.attention.layer_norm_rms_epsilon";
    public static final String ATTENTION_SLIDING_WINDOW = "%s.attention.sliding_window";
    public static final String ROPE_DIMENSION_COUNT = "%s.rope.dimension_count";
    public static final String ROPE_FREQ_BASE = "%s.rope.freq_base";

    // ---- tokenizer.*
    /** Prefix of every tokenizer key (what a release embeds of a GGUF tokenizer). */
    public static final String TOKENIZER_PREFIX = "tokenizer.";
    public static final String TOKENIZER_MODEL = "tokenizer.ggml.model";
    public static final String TOKENIZER_PRE = "tokenizer.ggml.pre";
    public static final String TOKENIZER_TOKENS = "tokenizer.ggml.tokens";
    public static final String TOKENIZER_TOKEN_TYPE = "tokenizer.ggml.token_type";
    public static final String TOKENIZER_SCORES = "tokenizer.ggml.scores";
    public static final String TOKENIZER_MERGES = "tokenizer.ggml.merges";
    public static final String TOKENIZER_BOS_ID = "tokenizer.ggml.bos_token_id";
    public static final String TOKENIZER_EOS_ID = "tokenizer.ggml.eos_token_id";
    public static final String TOKENIZER_EOT_ID = "tokenizer.ggml.eot_token_id";
    public static final String TOKENIZER_EOM_ID = "tokenizer.ggml.eom_token_id";
    public static final String TOKENIZER_UNK_ID = "tokenizer.ggml.unknown_token_id";
    public static final String TOKENIZER_ADD_BOS = "tokenizer.ggml.add_bos_token";
    public static final String TOKENIZER_ADD_EOS = "tokenizer.ggml.add_eos_token";
    public static final String TOKENIZER_ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";
    public static final String TOKENIZER_CHAT_TEMPLATE = "tokenizer.chat_template";

    // ---- taylormlp.* (Llama 3.1 RoPE scaling beside llama.cpp's rope_freqs.weight, so config.json can be restored)
    public static final String ROPE_SCALING_FACTOR = "taylormlp.rope_scaling.factor";
    public static final String ROPE_SCALING_LOW_FREQ_FACTOR = "taylormlp.rope_scaling.low_freq_factor";
    public static final String ROPE_SCALING_HIGH_FREQ_FACTOR = "taylormlp.rope_scaling.high_freq_factor";
    public static final String ROPE_SCALING_ORIGINAL_MAX_POSITIONS = "taylormlp.rope_scaling.original_max_position_embeddings";

    /** A per-architecture key: {@code template} with {@code %s} replaced by {@code arch}. */
    public static String of(String template, String arch) {
        if (!template.startsWith("%s.")) throw new IllegalArgumentException("not a per-architecture key: " + template);
        return arch + template.substring(2);
    }
}
