package org.taylormlp.tokenizer;

/** Text to token ids and back. Implementations: score BPE (llama), byte-level BPE (gpt2), HF tokenizer.json. */
public interface Tokenizer {
    /** Encodes {@code text}; prepends BOS when {@code addBos} (and the vocabulary has one). */
    int[] encode(String text, boolean addBos);

    /**
     * Encodes {@code text}; with {@code parseSpecial}, control tokens written verbatim in the text (such as
     * {@code <|im_start|>}) become their single id, as needed for rendered chat templates. Implementations
     * without special-token parsing (SentencePiece-style vocabularies, which treat {@code <s>} as plain
     * text) ignore the flag.
     */
    default int[] encode(String text, boolean addBos, boolean parseSpecial) { return encode(text, addBos); }

    /** Encodes {@code text}, adding BOS if the model asks for it ({@link #addBosByDefault()}). */
    default int[] encode(String text) { return encode(text, addBosByDefault()); }

    /** Whether prompts for this model conventionally start with BOS (GGUF {@code add_bos_token} and the like). */
    default boolean addBosByDefault() { return bosId() >= 0; }

    /**
     * The raw bytes token {@code id} stands for (byte-fallback tokens like {@code <0x0A>} become that byte),
     * used for streaming decode: concatenate and UTF-8-decode complete sequences.
     * {@code previous} is the token before it (-1 at start), so that a leading space after BOS can be stripped.
     */
    byte[] tokenBytes(int previous, int id);

    /** Decodes a whole sequence to text. */
    default String decode(int[] ids) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int prev = -1;
        for (int id : ids) {
            out.writeBytes(tokenBytes(prev, id));
            prev = id;
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    int vocabSize();

    int bosId();

    int eosId();

    /** True if generation should stop at this token (EOS, end-of-turn...). */
    default boolean isEndOfGeneration(int id) { return id == eosId(); }

    /** Chat template source text (Jinja) if the model ships one, else null. */
    default String chatTemplate() { return null; }
}
