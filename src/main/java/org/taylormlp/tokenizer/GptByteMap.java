package org.taylormlp.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's reversible map between bytes and printable Unicode characters used to spell byte-level BPE pieces:
 * the printable Latin-1 bytes '!'..'~', '¡'..'¬' and '®'..'ÿ' stand for themselves, the other 68 bytes
 * (controls, space, DEL, NBSP, soft hyphen) get U+0100 onwards in byte order; so ' ' is 'Ġ' (U+0120) and
 * '\n' is 'Ċ' (U+010A).
 */
final class GptByteMap {
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** char (0..0x17F) to byte, -1 where the char is not in the map. */
    private static final int[] CHAR_TO_BYTE = new int[0x180];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = (char) (printable ? b : next++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private GptByteMap() {}

    /** The character spelling {@code b} (0..255). */
    static char charOf(int b) { return BYTE_TO_CHAR[b & 0xFF]; }

    /** The byte spelled by {@code c}, or -1. */
    static int byteOf(char c) { return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1; }

    /** Spells the UTF-8 bytes of {@code text} in the mapped alphabet. */
    static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /**
     * The bytes a mapped piece spells; characters outside the map (possible in hand-written or added
     * pieces) are kept as their own UTF-8.
     */
    static byte[] decode(String piece) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(piece.length());
        for (int i = 0; i < piece.length(); ) {
            int cp = piece.codePointAt(i);
            int b = cp < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[cp] : -1;
            if (b >= 0) {
                out.write(b);
            } else {
                out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
            }
            i += Character.charCount(cp);
        }
        return out.toByteArray();
    }
}
