package org.taylormlp.tokenizer;

/** Text to token ids and back. Implementations: score BPE (llama), byte-level BPE (gpt2), HF tokenizer.json. */
public interface Tokenizer {
    /** Encodes {@code text}; prepends BOS when {@code addBos} (and the vocabulary has one). */
    int[] encode(String text, boolean addBos);

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
