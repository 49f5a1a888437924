package org.taylormlp.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns a stream of generated token ids into text as it arrives. A multi-byte UTF-8 character may be spread
 * over several byte tokens ({@code <0xE2> <0x98> <0x83>}); the decoder keeps an incomplete trailing sequence
 * back until its remaining bytes arrive, so every returned piece is whole characters. Malformed bytes are
 * emitted as U+FFFD rather than held forever. Not thread-safe: one decoder per generation stream.
 *
 * <pre>{@code
 * TokenStreamDecoder d = new TokenStreamDecoder(tokenizer);
 * for (int id : generated) System.out.print(d.accept(id));
 * System.out.print(d.flush());
 * }</pre>
 */
public final class TokenStreamDecoder {
    private final Tokenizer tokenizer;
    private byte[] pending = new byte[0];
    private int previous;

    /** A decoder whose first token is treated as the start of the sequence (no previous token). */
    public TokenStreamDecoder(Tokenizer tokenizer) {
        this(tokenizer, -1);
    }

    /**
     * A decoder continuing after {@code previousToken}, typically the last prompt token, so that rules such as
     * "strip the leading space after BOS" apply to the first generated token.
     */
    public TokenStreamDecoder(Tokenizer tokenizer, int previousToken) {
        this.tokenizer = tokenizer;
        this.previous = previousToken;
    }

    /** Adds token {@code id}; returns the text completed by it (possibly empty). */
    public String accept(int id) {
        byte[] bytes = tokenizer.tokenBytes(previous, id);
        previous = id;
        return acceptBytes(bytes);
    }

    /** Adds raw bytes; returns the text they complete (possibly empty). */
    public String acceptBytes(byte[] bytes) {
        byte[] all = concat(pending, bytes);
        int complete = completePrefixLength(all);
        pending = Arrays.copyOfRange(all, complete, all.length);
        return new String(all, 0, complete, StandardCharsets.UTF_8);
    }

    /** Emits whatever is held back (an incomplete sequence becomes U+FFFD) and empties the buffer. */
    public String flush() {
        String s = new String(pending, StandardCharsets.UTF_8);
        pending = new byte[0];
        return s;
    }

    /** Number of bytes held back waiting for the rest of a character. */
    public int pendingBytes() { return pending.length; }

    /**
     * Length of the longest prefix that does not end inside a possibly valid, still incomplete UTF-8 sequence:
     * only a trailing lead byte followed by fewer continuation bytes than it announces is held back.
     */
    static int completePrefixLength(byte[] b) {
        int n = b.length;
        // walk back over at most 3 continuation bytes to the last non-continuation byte
        int i = n - 1;
        while (i >= 0 && i >= n - 4 && (b[i] & 0xC0) == 0x80) i--;
        if (i < 0 || i < n - 4) return n; // no lead byte within reach: malformed, emit as is
        int lead = b[i] & 0xFF;
        int need;
        if (lead < 0x80) need = 1;
        else if (lead >= 0xC2 && lead <= 0xDF) need = 2;
        else if (lead >= 0xE0 && lead <= 0xEF) need = 3;
        else if (lead >= 0xF0 && lead <= 0xF4) need = 4;
        else need = 1; // invalid lead byte: nothing to wait for
        return n - i < need ? i : n;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        if (a.length == 0) return b;
        ByteArrayOutputStream out = new ByteArrayOutputStream(a.length + b.length);
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }
}
