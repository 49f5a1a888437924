package org.taylormlp.tokenizer;

import org.taylormlp.format.ModelFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * SentencePiece-style BPE driven by piece scores, as in llama2.c's {@code run.c} and llama.cpp's SPM tokenizer
 * (Llama 1/2, TinyLlama, the "stories" models).
 *
 * <p>Encoding: optional BOS; for non-empty text a dummy-prefix space; the text is split into Unicode code
 * points; then the adjacent pair whose concatenation is a vocabulary piece with the highest score is merged
 * (leftmost pair on ties), until no pair merges. A remaining symbol that is not a piece falls back to byte
 * tokens ({@code <0xNN>}), or to the unknown token when the vocabulary has no byte tokens.
 *
 * <p>Merging works on the text of the symbols, like llama.cpp; llama2.c turns unknown code points into byte
 * tokens before merging, which can only differ for a code point missing from the vocabulary while a longer
 * piece containing it exists.
 *
 * <p>Both vocabulary sources are normalised to the same form: pieces of GGUF vocabularies spell spaces as
 * U+2581 ('▁'), llama2.c {@code tokenizer.bin} pieces as ' '; internally all pieces use ' '. A literal '▁'
 * in input text is therefore ordinary text (encoded through byte fallback), not a space.
 *
 * <p>Decoding ({@link #tokenBytes}): the piece's bytes, {@code <0xNN>} pieces as that byte, control tokens
 * (BOS, EOS) as nothing, and a leading space stripped right after BOS (llama2.c's rule).
 *
 * <p>Special-token strings in input text (such as {@code "<s>"}) are plain text: control tokens never
 * come out of {@link #encode}, except the BOS it prepends on request.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ScoreBpeTokenizer implements Tokenizer {
    /** Largest {@code max_token_length} accepted from a llama2.c file (real files hold 7..64). */
    static final int MAX_PIECE_BYTES = 1 << 16;
    /** Largest llama2.c tokenizer file read into memory. */
    private static final long MAX_FILE_BYTES = 1L << 30;

    private final byte[][] pieceBytes;
    private final float[] scores;
    private final int[] types;
    /** byte value (0..255) of byte tokens, -1 for other tokens. */
    private final int[] tokenByte;
    /** token id of each byte value, -1 if the vocabulary has none. */
    private final int[] byteToken;
    /** text of mergeable pieces (spaces as ' ') to id. */
    private final Map<String, Integer> pieceIds;
    private final int bos;
    private final int eos;
    private final int unk;
    private final TokenizerOptions options;

    private ScoreBpeTokenizer(byte[][] pieceBytes, float[] scores, int[] types, int[] tokenByte, int bos, int eos,
                              TokenizerOptions options) {
        this.pieceBytes = pieceBytes;
        this.scores = scores;
        this.types = types;
        this.tokenByte = tokenByte;
        this.bos = bos;
        this.eos = eos;
        this.options = options == null ? TokenizerOptions.DEFAULTS : options;
        this.byteToken = new int[256];
        Arrays.fill(byteToken, -1);
        for (int id = tokenByte.length - 1; id >= 0; id--) {
            if (tokenByte[id] >= 0) byteToken[tokenByte[id]] = id;
        }
        int unknown = -1;
        this.pieceIds = HashMap.newHashMap(pieceBytes.length);
        for (int id = 0; id < pieceBytes.length; id++) {
            if (types[id] == TokenType.UNKNOWN && unknown < 0) unknown = id;
            // BOS/EOS never come from text, whatever type the vocabulary gives them
            if (!TokenType.isMergeable(types[id]) || pieceBytes[id].length == 0 || id == bos || id == eos) continue;
            String text = strictUtf8(pieceBytes[id]);
            // first id wins for duplicate pieces, as the sorted-vocabulary lookup of llama2.c mostly does
            if (text != null) pieceIds.putIfAbsent(text, id);
        }
        this.unk = unknown;
    }

    // ------------------------------------------------------------------------------------------ factories

    /**
     * Reads a llama2.c {@code tokenizer.bin}: int32 {@code max_token_length}, then {@code vocabSize} times
     * float32 score, int32 byte length and the piece bytes (all little-endian). Ids 1 and 2 are BOS and EOS,
     * id 0 is the unknown token. Byte tokens are recognised either as {@code <0xNN>} pieces or, in the old
     * format, as ids 3..258 holding the byte itself (bytes from 0x80 as the UTF-8 of U+0080..U+00FF).
     *
     * @throws ModelFormatException naming the file if it cannot be read, is truncated, holds lengths that are
     *                              negative or larger than {@code max_token_length}, or holds more or fewer
     *                              than {@code vocabSize} tokens
     */
    public static ScoreBpeTokenizer fromLlama2c(Path tokenizerBin, int vocabSize) {
        if (vocabSize < 3) {
            throw new ModelFormatException(tokenizerBin, "vocabulary size " + vocabSize
                    + " is too small (BOS and EOS are ids 1 and 2)");
        }
        byte[] data;
        try {
            long size = Files.size(tokenizerBin);
            if (size > MAX_FILE_BYTES) {
                throw new ModelFormatException(tokenizerBin, "file of " + size + " bytes is too large for a tokenizer");
            }
            data = Files.readAllBytes(tokenizerBin);
        } catch (IOException e) {
            throw new ModelFormatException(tokenizerBin, "cannot read tokenizer: " + e, e);
        }
        ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (buf.remaining() < 4) {
            throw new ModelFormatException(tokenizerBin, "truncated: " + data.length
                    + " bytes, too short for the max_token_length header");
        }
        int maxTokenLength = buf.getInt();
        if (maxTokenLength <= 0 || maxTokenLength > MAX_PIECE_BYTES) {
            throw new ModelFormatException(tokenizerBin, "implausible max_token_length " + maxTokenLength
                    + " (expected 1.." + MAX_PIECE_BYTES + "); not a llama2.c tokenizer?");
        }
        byte[][] pieces = new byte[vocabSize][];
        float[] scores = new float[vocabSize];
        for (int id = 0; id < vocabSize; id++) {
            if (buf.remaining() < 8) {
                throw new ModelFormatException(tokenizerBin, "truncated at token " + id + " of " + vocabSize
                        + " (offset " + buf.position() + "): the vocabulary size does not match the file?");
            }
            scores[id] = buf.getFloat();
            int len = buf.getInt();
            if (Float.isNaN(scores[id])) {
                throw new ModelFormatException(tokenizerBin, "token " + id + " has a NaN score");
            }
            if (len < 0 || len > maxTokenLength) {
                throw new ModelFormatException(tokenizerBin, "token " + id + " has length " + len
                        + " outside 0..max_token_length=" + maxTokenLength + " (offset " + (buf.position() - 4) + ")");
            }
            if (buf.remaining() < len) {
                throw new ModelFormatException(tokenizerBin, "truncated inside token " + id + ": " + len
                        + " bytes announced, " + buf.remaining() + " left");
            }
            pieces[id] = new byte[len];
            buf.get(pieces[id]);
        }
        if (buf.hasRemaining()) {
            throw new ModelFormatException(tokenizerBin, buf.remaining() + " bytes left after " + vocabSize
                    + " tokens: the file holds a larger vocabulary than the model's " + vocabSize);
        }

        int[] types = new int[vocabSize];
        Arrays.fill(types, TokenType.NORMAL);
        int[] tokenByte = new int[vocabSize];
        Arrays.fill(tokenByte, -1);
        boolean hexBytes = false;
        for (int id = 0; id < vocabSize; id++) {
            int b = parseByteToken(pieces[id]);
            if (b >= 0) {
                types[id] = TokenType.BYTE;
                tokenByte[id] = b;
                hexBytes = true;
            }
        }
        if (!hexBytes && isOldFormatByteRange(pieces)) {
            for (int b = 0; b < 256; b++) {
                types[b + 3] = TokenType.BYTE;
                tokenByte[b + 3] = b;
            }
        }
        if ("<unk>".equals(new String(pieces[0], StandardCharsets.UTF_8))) types[0] = TokenType.UNKNOWN;
        types[1] = TokenType.CONTROL;
        types[2] = TokenType.CONTROL;
        return new ScoreBpeTokenizer(pieces, scores, types, tokenByte, 1, 2, TokenizerOptions.DEFAULTS);
    }

    /**
     * Builds a tokenizer from a GGUF "llama" vocabulary ({@code tokenizer.ggml.tokens}, {@code .scores},
     * {@code .token_type}), where spaces are written as U+2581 '▁'.
     *
     * @param tokens     the pieces, indexed by id
     * @param scores     merge scores, indexed by id; {@code null}: all zero
     * @param tokenTypes {@link TokenType} per id; {@code null}: {@code <0xNN>} pieces are byte tokens, BOS and
     *                   EOS control tokens, everything else normal
     * @param bos        BOS id or -1
     * @param eos        EOS id or -1
     * @throws IllegalArgumentException if the arrays are inconsistent
     */
    public static ScoreBpeTokenizer fromVocab(String[] tokens, float[] scores, int[] tokenTypes, int bos, int eos) {
        return fromVocab(tokens, scores, tokenTypes, bos, eos, TokenizerOptions.DEFAULTS);
    }

    /** As {@link #fromVocab(String[], float[], int[], int, int)}, with model-level {@code options}. */
    public static ScoreBpeTokenizer fromVocab(String[] tokens, float[] scores, int[] tokenTypes, int bos, int eos,
                                              TokenizerOptions options) {
        if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("empty vocabulary");
        int n = tokens.length;
        if (scores != null && scores.length != n) {
            throw new IllegalArgumentException(scores.length + " scores for " + n + " tokens");
        }
        if (tokenTypes != null && tokenTypes.length != n) {
            throw new IllegalArgumentException(tokenTypes.length + " token types for " + n + " tokens");
        }
        checkId("BOS", bos, n);
        checkId("EOS", eos, n);
        byte[][] pieces = new byte[n][];
        int[] types = new int[n];
        int[] tokenByte = new int[n];
        Arrays.fill(tokenByte, -1);
        for (int id = 0; id < n; id++) {
            if (tokens[id] == null) throw new IllegalArgumentException("token " + id + " is null");
            pieces[id] = tokens[id].replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
            types[id] = tokenTypes == null ? TokenType.NORMAL : tokenTypes[id];
            if (types[id] == TokenType.BYTE || tokenTypes == null) {
                int b = parseByteToken(pieces[id]);
                if (b >= 0) {
                    types[id] = TokenType.BYTE;
                    tokenByte[id] = b;
                } else if (types[id] == TokenType.BYTE) {
                    throw new IllegalArgumentException("token " + id + " '" + tokens[id]
                            + "' has the byte type but is not of the form <0xNN>");
                }
            }
        }
        if (tokenTypes == null) {
            if (bos >= 0) types[bos] = TokenType.CONTROL;
            if (eos >= 0) types[eos] = TokenType.CONTROL;
        }
        float[] s = scores == null ? new float[n] : scores.clone();
        return new ScoreBpeTokenizer(pieces, s, types, tokenByte, bos, eos, options);
    }

    /** This tokenizer with other model-level options (the vocabulary is shared). */
    public ScoreBpeTokenizer withOptions(TokenizerOptions newOptions) {
        return new ScoreBpeTokenizer(pieceBytes, scores, types, tokenByte, bos, eos, newOptions);
    }

    // ------------------------------------------------------------------------------------------ encoding

    @Override
    public int[] encode(String text, boolean addBos) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (addBos && bos >= 0) out.add(bos);
        if (text.isEmpty()) return out.toArray();
        String s = options.addSpacePrefix() ? " " + text : text;

        // one symbol per code point: [start, end) char ranges, doubly linked
        int n = s.codePointCount(0, s.length());
        int[] start = new int[n];
        int[] end = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, pos = 0; i < n; i++) {
            start[i] = pos;
            pos += Character.charCount(s.codePointAt(pos));
            end[i] = pos;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }

        PriorityQueue<Bigram> queue = new PriorityQueue<>();
        for (int i = 1; i < n; i++) offer(queue, s, start, end, i - 1, i);
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            int l = b.left, r = b.right;
            // skip stale pairs: a side was merged away or grew since the pair was queued
            if (end[l] < 0 || end[r] < 0 || next[l] != r || end[r] - start[l] != b.length) continue;
            end[l] = end[r];
            end[r] = -1;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) offer(queue, s, start, end, prev[l], l);
            if (next[l] >= 0) offer(queue, s, start, end, l, next[l]);
        }

        for (int i = 0; i >= 0; i = next[i]) {
            String piece = s.substring(start[i], end[i]);
            Integer id = pieceIds.get(piece);
            if (id != null) {
                out.add(id);
                continue;
            }
            for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                int byteId = byteToken[b & 0xFF];
                if (byteId >= 0) {
                    out.add(byteId);
                } else if (unk >= 0) {
                    out.add(unk);
                    break; // one <unk> per unknown symbol, as SentencePiece does
                } else {
                    throw new org.taylormlp.TaylorMlpException("cannot encode '" + piece
                            + "': the vocabulary has neither the piece, byte tokens nor an unknown token");
                }
            }
        }
        return out.toArray();
    }

    private void offer(PriorityQueue<Bigram> queue, String s, int[] start, int[] end, int left, int right) {
        Integer id = pieceIds.get(s.substring(start[left], end[right]));
        if (id != null) queue.add(new Bigram(left, right, scores[id], end[right] - start[left]));
    }

    /** A mergeable adjacent pair; highest score first, then leftmost. */
    private record Bigram(int left, int right, float score, int length) implements Comparable<Bigram> {
        @Override
        public int compareTo(Bigram o) {
            int c = Float.compare(o.score, score);
            return c != 0 ? c : Integer.compare(left, o.left);
        }
    }

    // ------------------------------------------------------------------------------------------ decoding

    @Override
    public byte[] tokenBytes(int previous, int id) {
        if (id < 0 || id >= pieceBytes.length) return new byte[0];
        int type = types[id];
        if (type == TokenType.CONTROL || id == bos || id == eos) return new byte[0];
        if (tokenByte[id] >= 0) return new byte[] {(byte) tokenByte[id]};
        byte[] piece = pieceBytes[id];
        if (previous == bos && bos >= 0 && piece.length > 0 && piece[0] == ' ') {
            return Arrays.copyOfRange(piece, 1, piece.length);
        }
        return piece.clone();
    }

    /** The piece of {@code id} as text, spaces as ' ' (for diagnostics; control pieces included). */
    public String piece(int id) {
        return new String(pieceBytes[id], StandardCharsets.UTF_8);
    }

    /** The merge score of {@code id}. */
    public float score(int id) { return scores[id]; }

    /** The {@link TokenType} of {@code id}. */
    public int tokenType(int id) { return types[id]; }

    @Override
    public int vocabSize() { return pieceBytes.length; }

    @Override
    public int bosId() { return bos; }

    @Override
    public int eosId() { return eos; }

    @Override
    public boolean addBosByDefault() {
        return options.addBos() != null ? options.addBos() && bos >= 0 : bos >= 0;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return (id == eos && eos >= 0) || options.isExtraEndOfGeneration(id);
    }

    @Override
    public String chatTemplate() { return options.chatTemplate(); }

    public TokenizerOptions options() { return options; }

    // ------------------------------------------------------------------------------------------ helpers

    /** The byte of a {@code <0xNN>} piece, else -1. */
    static int parseByteToken(byte[] piece) {
        if (piece.length != 6 || piece[0] != '<' || piece[1] != '0' || piece[2] != 'x' || piece[5] != '>') return -1;
        int hi = Character.digit(piece[3], 16);
        int lo = Character.digit(piece[4], 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    /** Old llama2.c format: ids 3..258 hold byte b = id - 3, as that byte or as the UTF-8 of U+00b. */
    private static boolean isOldFormatByteRange(byte[][] pieces) {
        if (pieces.length < 259) return false;
        for (int b = 0; b < 256; b++) {
            byte[] p = pieces[b + 3];
            boolean raw = p.length == 1 && (p[0] & 0xFF) == b;
            boolean latin1 = b >= 0x80 && Arrays.equals(p, String.valueOf((char) b).getBytes(StandardCharsets.UTF_8));
            if (!raw && !latin1) return false;
        }
        return true;
    }

    /** Decodes valid UTF-8, else null. */
    static String strictUtf8(byte[] bytes) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return chars.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    static void checkId(String what, int id, int vocabSize) {
        if (id < -1 || id >= vocabSize) {
            throw new IllegalArgumentException(what + " id " + id + " outside the vocabulary of " + vocabSize);
        }
    }
}
