package org.taylormlp.tokenizer;

/**
 * Token types as stored in GGUF {@code tokenizer.ggml.token_type} (the SentencePiece piece types).
 * Only the distinction matters to the tokenizers: normal pieces take part in merging, control pieces
 * ({@code <s>}, {@code <|im_end|>}) are never produced from plain text and decode to nothing, byte pieces
 * ({@code <0x0A>}) stand for one raw byte, user-defined pieces are matched verbatim in the text.
 */
public final class TokenType {
    /** Type of an id outside the vocabulary range when a type is asked for. */
    public static final int UNDEFINED = 0;
    public static final int NORMAL = 1;
    public static final int UNKNOWN = 2;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    public static final int UNUSED = 5;
    public static final int BYTE = 6;

    private TokenType() {}

    /** True for types whose text may be produced by merging plain text. */
    static boolean isMergeable(int type) {
        return type == NORMAL || type == USER_DEFINED || type == UNUSED || type == UNDEFINED;
    }
}
