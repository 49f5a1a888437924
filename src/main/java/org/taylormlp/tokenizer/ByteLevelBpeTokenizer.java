package org.taylormlp.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2 style byte-level BPE for GGUF "gpt2" vocabularies (GPT-2, Phi-2, Qwen2, Llama 3...).
 *
 * <p>Encoding: control and user-defined tokens written verbatim in the text are split out first (control
 * tokens only when special parsing is on, which is {@link #encode(String, boolean)}'s default; user-defined
 * tokens always, as llama.cpp does). Each remaining fragment is cut into words by the pre-tokenizer regex
 * selected by GGUF {@code tokenizer.ggml.pre}; each word's UTF-8 bytes are spelled in GPT-2's byte alphabet
 * ({@link GptByteMap}) and merged pairwise by merge rank (lowest rank first, leftmost on ties) until no
 * listed merge applies.
 *
 * <p>Pre-tokenizers: {@code null}, "default", "gpt2"/"gpt-2", "phi-2" and other unlisted names use the GPT-2
 * regex; "qwen2" (and "deepseek-r1-qwen", "stablelm2") Qwen2's, which keeps single digits apart, lets a word
 * take one leading non-letter and splits line breaks apart; "llama-bpe"/"llama3"/"smaug-bpe" Llama 3's
 * (digits in groups of up to three, whole-word vocabulary hits skip merging). Unicode normalisation
 * (Qwen2's NFC in Hugging Face) is not applied, like llama.cpp.
 *
 * <p>Decoding maps the piece back through the byte alphabet; control tokens decode to nothing,
 * user-defined tokens to their text.
 *
 * <p>Instances are thread-safe; encoded words are cached (bounded).
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {
    private static final String GPT2_REGEX =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    private static final String CONTRACTIONS_ANY_CASE = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
    private static final String QWEN2_REGEX = CONTRACTIONS_ANY_CASE
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String LLAMA3_REGEX = CONTRACTIONS_ANY_CASE
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final int CACHE_LIMIT = 1 << 16;

    private final String[] tokens;
    private final int[] types;
    private final byte[][] pieceBytes;
    /** mergeable pieces (mapped spelling) to id. */
    private final Map<String, Integer> vocab;
    /** "left right" to merge rank. */
    private final Map<String, Integer> mergeRanks;
    /** control and user-defined token text to id. */
    private final Map<String, Integer> specialIds;
    private final Pattern allSpecials;
    private final Pattern userDefinedSpecials;
    private final Pattern preTokenizer;
    private final String preTokenizerName;
    private final boolean ignoreMerges;
    private final int bos;
    private final int eos;
    private final int unk;
    private final TokenizerOptions options;
    private final Map<String, int[]> wordCache = new ConcurrentHashMap<>();

    private ByteLevelBpeTokenizer(ByteLevelBpeTokenizer base, TokenizerOptions options) {
        this.tokens = base.tokens;
        this.types = base.types;
        this.pieceBytes = base.pieceBytes;
        this.vocab = base.vocab;
        this.mergeRanks = base.mergeRanks;
        this.specialIds = base.specialIds;
        this.allSpecials = base.allSpecials;
        this.userDefinedSpecials = base.userDefinedSpecials;
        this.preTokenizer = base.preTokenizer;
        this.preTokenizerName = base.preTokenizerName;
        this.ignoreMerges = base.ignoreMerges;
        this.bos = base.bos;
        this.eos = base.eos;
        this.unk = base.unk;
        this.options = options == null ? TokenizerOptions.DEFAULTS : options;
    }

    private ByteLevelBpeTokenizer(String[] tokens, String[] merges, int[] tokenTypes, int bos, int eos,
                                  String preTokenizer, TokenizerOptions options) {
        if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("empty vocabulary");
        if (merges == null) throw new IllegalArgumentException("no merges");
        int n = tokens.length;
        if (tokenTypes != null && tokenTypes.length != n) {
            throw new IllegalArgumentException(tokenTypes.length + " token types for " + n + " tokens");
        }
        ScoreBpeTokenizer.checkId("BOS", bos, n);
        ScoreBpeTokenizer.checkId("EOS", eos, n);
        this.tokens = tokens.clone();
        this.types = new int[n];
        this.pieceBytes = new byte[n][];
        this.vocab = HashMap.newHashMap(n);
        this.specialIds = new HashMap<>();
        List<String> all = new ArrayList<>();
        List<String> userDefined = new ArrayList<>();
        int unknown = -1;
        for (int id = 0; id < n; id++) {
            String t = tokens[id];
            if (t == null) throw new IllegalArgumentException("token " + id + " is null");
            int type = tokenTypes == null ? TokenType.NORMAL : tokenTypes[id];
            if (id == bos || id == eos) type = TokenType.CONTROL; // never merged from text, decode to nothing
            types[id] = type;
            switch (type) {
                case TokenType.CONTROL, TokenType.USER_DEFINED -> {
                    pieceBytes[id] = t.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    if (!t.isEmpty() && specialIds.putIfAbsent(t, id) == null) {
                        all.add(t);
                        if (type == TokenType.USER_DEFINED) userDefined.add(t);
                    }
                }
                case TokenType.UNKNOWN -> {
                    pieceBytes[id] = GptByteMap.decode(t);
                    if (unknown < 0) unknown = id;
                }
                default -> {
                    pieceBytes[id] = GptByteMap.decode(t);
                    vocab.putIfAbsent(t, id);
                }
            }
        }
        this.unk = unknown;
        this.mergeRanks = HashMap.newHashMap(merges.length);
        for (int rank = 0; rank < merges.length; rank++) {
            String m = merges[rank];
            int space = m == null ? -1 : m.indexOf(' ');
            if (space <= 0 || space == m.length() - 1) {
                throw new IllegalArgumentException("merge " + rank + " '" + m + "' is not of the form 'left right'");
            }
            mergeRanks.putIfAbsent(m, rank);
        }
        this.allSpecials = alternation(all);
        this.userDefinedSpecials = alternation(userDefined);
        this.preTokenizerName = preTokenizer;
        String pre = preTokenizer == null ? "default" : preTokenizer.toLowerCase(Locale.ROOT);
        boolean llama3 = switch (pre) {
            case "llama3", "llama-bpe", "smaug-bpe" -> true;
            default -> false;
        };
        String regex = switch (pre) {
            case "qwen2", "deepseek-r1-qwen", "stablelm2" -> QWEN2_REGEX;
            default -> llama3 ? LLAMA3_REGEX : GPT2_REGEX;
        };
        this.ignoreMerges = llama3;
        this.preTokenizer = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        this.bos = bos;
        this.eos = eos;
        this.options = options == null ? TokenizerOptions.DEFAULTS : options;
    }

    /**
     * Builds a tokenizer from a GGUF "gpt2" vocabulary.
     *
     * @param tokens       pieces in GPT-2's byte alphabet ('Ġ' for space), indexed by id; control and
     *                     user-defined tokens as their plain text
     * @param merges       {@code tokenizer.ggml.merges}: "left right" per line, highest priority first
     * @param tokenTypes   {@link TokenType} per id; {@code null}: all normal. BOS and EOS are always treated
     *                     as control tokens
     * @param bos          BOS id or -1
     * @param eos          EOS id or -1
     * @param preTokenizer GGUF {@code tokenizer.ggml.pre}, {@code null} for GPT-2's
     * @throws IllegalArgumentException if the arrays are inconsistent or a merge is malformed
     */
    public static ByteLevelBpeTokenizer fromVocab(String[] tokens, String[] merges, int[] tokenTypes, int bos, int eos,
                                                  String preTokenizer) {
        return new ByteLevelBpeTokenizer(tokens, merges, tokenTypes, bos, eos, preTokenizer, TokenizerOptions.DEFAULTS);
    }

    /** As {@link #fromVocab(String[], String[], int[], int, int, String)}, with model-level {@code options}. */
    public static ByteLevelBpeTokenizer fromVocab(String[] tokens, String[] merges, int[] tokenTypes, int bos, int eos,
                                                  String preTokenizer, TokenizerOptions options) {
        return new ByteLevelBpeTokenizer(tokens, merges, tokenTypes, bos, eos, preTokenizer, options);
    }

    /** This tokenizer with other model-level options (the vocabulary is shared). */
    public ByteLevelBpeTokenizer withOptions(TokenizerOptions newOptions) {
        return new ByteLevelBpeTokenizer(this, newOptions);
    }

    private static Pattern alternation(List<String> literals) {
        if (literals.isEmpty()) return null;
        StringBuilder sb = new StringBuilder();
        literals.stream().sorted(Comparator.comparingInt(String::length).reversed()).forEach(s -> {
            if (!sb.isEmpty()) sb.append('|');
            sb.append(Pattern.quote(s));
        });
        return Pattern.compile(sb.toString());
    }

    // ------------------------------------------------------------------------------------------ encoding

    /** The merges in rank order ("left right", highest priority first), as given to {@link #fromVocab}. */
    public String[] merges() {
        String[] out = new String[mergeRanks.size()];
        int n = 0;
        java.util.List<Map.Entry<String, Integer>> es = new ArrayList<>(mergeRanks.entrySet());
        es.sort(Map.Entry.comparingByValue());
        for (Map.Entry<String, Integer> e : es) out[n++] = e.getKey();
        return out;
    }

    /** Encodes with special-token parsing on: verbatim control tokens in {@code text} become their ids. */
    @Override
    public int[] encode(String text, boolean addBos) {
        return encode(text, addBos, true);
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (addBos && bos >= 0) out.add(bos);
        Pattern specials = parseSpecial ? allSpecials : userDefinedSpecials;
        if (specials == null) {
            encodeFragment(text, out);
            return out.toArray();
        }
        Matcher m = specials.matcher(text);
        int pos = 0;
        while (m.find()) {
            if (m.start() > pos) encodeFragment(text.substring(pos, m.start()), out);
            out.add(specialIds.get(m.group()));
            pos = m.end();
        }
        if (pos < text.length()) encodeFragment(text.substring(pos), out);
        return out.toArray();
    }

    private void encodeFragment(String fragment, IntList out) {
        for (String word : preTokenize(fragment)) out.addAll(encodeWord(word));
    }

    /** The words the pre-tokenizer cuts {@code fragment} (text without special tokens) into. */
    List<String> preTokenize(String fragment) {
        List<String> words = new ArrayList<>();
        Matcher m = preTokenizer.matcher(fragment);
        int pos = 0;
        while (m.find()) {
            if (m.start() > pos) words.add(fragment.substring(pos, m.start()));
            words.add(m.group());
            pos = m.end();
        }
        if (pos < fragment.length()) words.add(fragment.substring(pos));
        return words;
    }

    private int[] encodeWord(String word) {
        int[] cached = wordCache.get(word);
        if (cached != null) return cached;
        int[] ids = bpe(GptByteMap.encode(word));
        if (wordCache.size() >= CACHE_LIMIT) wordCache.clear();
        wordCache.put(word, ids);
        return ids;
    }

    /** BPE over one word already spelled in the byte alphabet (one char per byte). */
    private int[] bpe(String s) {
        if (ignoreMerges) {
            Integer whole = vocab.get(s);
            if (whole != null) return new int[] {whole};
        }
        int n = s.length();
        int[] end = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            end[i] = i + 1;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<long[]> queue = new PriorityQueue<>(
                (a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        for (int i = 1; i < n; i++) offer(queue, s, end, i - 1, i);
        while (!queue.isEmpty()) {
            long[] b = queue.poll();
            int l = (int) b[1], r = (int) b[2];
            if (end[l] < 0 || end[r] < 0 || next[l] != r || end[r] - l != b[3]) continue; // stale pair
            end[l] = end[r];
            end[r] = -1;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) offer(queue, s, end, prev[l], l);
            if (next[l] >= 0) offer(queue, s, end, l, next[l]);
        }
        IntList out = new IntList(n);
        for (int i = 0; i >= 0; i = next[i]) {
            String piece = s.substring(i, end[i]);
            Integer id = vocab.get(piece);
            if (id != null) {
                out.add(id);
                continue;
            }
            for (int c = 0; c < piece.length(); c++) {
                Integer byteId = vocab.get(piece.substring(c, c + 1));
                if (byteId != null) {
                    out.add(byteId);
                } else if (unk >= 0) {
                    out.add(unk);
                } else {
                    throw new org.taylormlp.TaylorMlpException("cannot encode byte 0x"
                            + Integer.toHexString(GptByteMap.byteOf(piece.charAt(c)))
                            + ": the vocabulary has no token for it and no unknown token");
                }
            }
        }
        return out.toArray();
    }

    /** Queues the pair (left, right) if it is a listed merge: {rank, left, right, combined length}. */
    private void offer(PriorityQueue<long[]> queue, String s, int[] end, int left, int right) {
        Integer rank = mergeRanks.get(s.substring(left, end[left]) + ' ' + s.substring(right, end[right]));
        if (rank != null) queue.add(new long[] {rank, left, right, end[right] - left});
    }

    // ------------------------------------------------------------------------------------------ decoding

    @Override
    public byte[] tokenBytes(int previous, int id) {
        if (id < 0 || id >= tokens.length || types[id] == TokenType.CONTROL) return new byte[0];
        return pieceBytes[id].clone();
    }

    /** The stored piece of {@code id} (byte-alphabet spelling for normal tokens). */
    public String piece(int id) { return tokens[id]; }

    /** The {@link TokenType} of {@code id}. */
    public int tokenType(int id) { return types[id]; }

    /** The id of a control or user-defined token with exactly this text, or -1. */
    public int specialTokenId(String text) {
        Integer id = specialIds.get(text);
        return id == null ? -1 : id;
    }

    /** The pre-tokenizer name this tokenizer was built with (GGUF {@code tokenizer.ggml.pre}), may be null. */
    public String preTokenizer() { return preTokenizerName; }

    @Override
    public int vocabSize() { return tokens.length; }

    @Override
    public int bosId() { return bos; }

    @Override
    public int eosId() { return eos; }

    /** GGUF "gpt2" vocabularies add no BOS unless {@code add_bos_token} says so. */
    @Override
    public boolean addBosByDefault() {
        return options.addBos() != null && options.addBos() && bos >= 0;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return (id == eos && eos >= 0) || options.isExtraEndOfGeneration(id);
    }

    @Override
    public String chatTemplate() { return options.chatTemplate(); }

    public TokenizerOptions options() { return options; }

    @Override
    public String toString() {
        return "ByteLevelBpeTokenizer[" + tokens.length + " tokens, " + mergeRanks.size() + " merges, pre="
                + preTokenizerName + ", specials=" + Arrays.toString(specialIds.keySet().stream().sorted().limit(8).toArray()) + "]";
    }
}
