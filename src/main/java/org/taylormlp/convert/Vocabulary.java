package org.taylormlp.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.format.gguf.GgufArray;
import org.taylormlp.format.gguf.GgufKeys;
import org.taylormlp.format.gguf.GgufType;
import org.taylormlp.format.gguf.GgufWriter;
import org.taylormlp.tokenizer.ByteLevelBpeTokenizer;
import org.taylormlp.tokenizer.HfTokenizer;
import org.taylormlp.tokenizer.ScoreBpeTokenizer;
import org.taylormlp.tokenizer.TokenType;
import org.taylormlp.tokenizer.Tokenizer;
import org.taylormlp.tokenizer.TokenizerOptions;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A tokenizer vocabulary in the neutral form the model writers need, with the two GGUF flavours:
 * {@link Kind#LLAMA} (SentencePiece-style score BPE: pieces spell spaces as '▁', byte tokens {@code <0xNN>})
 * and {@link Kind#GPT2} (byte-level BPE: pieces in GPT-2's byte alphabet plus ranked merges).
 *
 * <p>Sources: our {@link ScoreBpeTokenizer} and {@link ByteLevelBpeTokenizer} (from llama2.c or GGUF files) and
 * Hugging Face {@code tokenizer.json} files of BPE models. Targets: GGUF {@code tokenizer.ggml.*} metadata and a
 * Hugging Face {@code tokenizer.json} (+ {@code tokenizer_config.json}).
 *
 * <p>A llama vocabulary becomes a tokenizer.json BPE model with byte fallback whose merges are every split
 * {@code (left, right)} of every mergeable piece with both halves in the vocabulary, ordered by the merged
 * piece's score (highest first): lowest-rank-first merging then picks the same pair as highest-score-first
 * merging, so the Hugging Face tokenizer encodes like {@link ScoreBpeTokenizer} (given distinct scores). The
 * reverse direction gives each merged piece the score {@code -rank} of its first merge.
 */
public record Vocabulary(Kind kind, String[] tokens, float[] scores, int[] types, String[] merges, String pre,
                         int bos, int eos, int unk, boolean addBos, String chatTemplate) {
    public enum Kind { LLAMA, GPT2 }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The pre-tokenizer regexes of Hugging Face tokenizer.json files (Oniguruma syntax) by GGUF pre name. */
    static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    public int size() { return tokens.length; }

    // ------------------------------------------------------------------------------------------ sources

    /**
     * The vocabulary of a loaded tokenizer.
     *
     * @param source named in errors
     * @throws ModelFormatException for tokenizers this class cannot express (e.g. a Unigram tokenizer.json)
     */
    public static Vocabulary of(Tokenizer t, Path source) {
        return switch (t) {
            case ScoreBpeTokenizer s -> ofScoreBpe(s);
            case ByteLevelBpeTokenizer b -> ofByteLevel(b);
            case HfTokenizer h -> ofTokenizerJson(h, source);
            default -> throw new ModelFormatException(source, "cannot export a tokenizer of type " + t.getClass().getSimpleName());
        };
    }

    static Vocabulary ofScoreBpe(ScoreBpeTokenizer s) {
        int n = s.vocabSize();
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        int unk = -1;
        for (int id = 0; id < n; id++) {
            int type = s.tokenType(id);
            if (id == s.bosId() || id == s.eosId()) type = TokenType.CONTROL;
            types[id] = type;
            scores[id] = s.score(id);
            if (type == TokenType.BYTE) {
                byte[] b = s.tokenBytes(-1, id);
                tokens[id] = String.format(Locale.ROOT, "<0x%02X>", b[0] & 0xff);
            } else if (type == TokenType.CONTROL || type == TokenType.UNKNOWN) {
                tokens[id] = s.piece(id).strip(); // llama2.c stores "\n<s>\n"; GGUF vocabularies "<s>"
            } else {
                tokens[id] = s.piece(id).replace(' ', '\u2581');
            }
            if (type == TokenType.UNKNOWN && unk < 0) unk = id;
        }
        return new Vocabulary(Kind.LLAMA, tokens, scores, types, null, null, s.bosId(), s.eosId(), unk,
                s.addBosByDefault(), s.chatTemplate());
    }

    static Vocabulary ofByteLevel(ByteLevelBpeTokenizer b) {
        int n = b.vocabSize();
        String[] tokens = new String[n];
        int[] types = new int[n];
        for (int id = 0; id < n; id++) {
            tokens[id] = b.piece(id);
            types[id] = b.tokenType(id);
        }
        return new Vocabulary(Kind.GPT2, tokens, null, types, b.merges(), b.preTokenizer(), b.bosId(), b.eosId(), -1,
                b.addBosByDefault(), b.chatTemplate());
    }

    /** Reads the BPE model of a tokenizer.json (the ids, specials and BOS come from the loaded tokenizer). */
    static Vocabulary ofTokenizerJson(HfTokenizer h, Path source) {
        Path file = h.file();
        JsonNode root;
        try {
            root = JSON.readTree(h.tokenizerJsonBytes()); // not the file: a release's temporary copy is gone
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot read tokenizer.json: " + e.getMessage(), e);
        }
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText())) {
            throw new ModelFormatException(file, "cannot convert a tokenizer.json of model type '"
                    + model.path("type").asText() + "' (supported: BPE)");
        }
        int n = h.vocabSize();
        String[] tokens = new String[n];
        int[] types = new int[n];
        Arrays.fill(types, TokenType.NORMAL);
        for (int id = 0; id < n; id++) {
            String p = h.piece(id);
            tokens[id] = p != null ? p : "[PAD" + id + "]";
            if (p == null) types[id] = TokenType.UNUSED;
        }
        for (JsonNode a : root.path("added_tokens")) {
            int id = a.path("id").asInt(-1);
            if (id >= 0 && id < n) types[id] = a.path("special").asBoolean(false) ? TokenType.CONTROL : TokenType.USER_DEFINED;
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            if (m.isTextual()) merges.add(m.asText());
            else if (m.isArray() && m.size() == 2) merges.add(m.get(0).asText() + " " + m.get(1).asText());
            else throw new ModelFormatException(file, "malformed merge " + m);
        }
        String json = root.toString();
        boolean byteLevel = json.contains("\"ByteLevel\"");
        if (byteLevel) {
            String pre = "gpt-2";
            String split = root.path("pre_tokenizer").toString();
            if (split.contains("\\\\p{N}{1,3}")) pre = "llama-bpe";
            else if (split.contains("\\\\p{N}|")) pre = "qwen2";
            return new Vocabulary(Kind.GPT2, tokens, null, types, merges.toArray(String[]::new), pre, h.bosId(), h.eosId(),
                    -1, h.addBosByDefault(), h.chatTemplate());
        }
        // SentencePiece-like: '▁' pieces, byte fallback; scores from the merge ranks
        Map<String, Integer> firstRank = new HashMap<>();
        for (int r = 0; r < merges.size(); r++) {
            String m = merges.get(r);
            int sp = m.indexOf(' ');
            firstRank.putIfAbsent(m.substring(0, sp) + m.substring(sp + 1), r);
        }
        float[] scores = new float[n];
        int unk = -1;
        String unkToken = model.path("unk_token").asText(null);
        for (int id = 0; id < n; id++) {
            if (tokens[id].matches("<0x[0-9A-Fa-f]{2}>") && types[id] != TokenType.CONTROL) types[id] = TokenType.BYTE;
            if (tokens[id].equals(unkToken)) {
                types[id] = TokenType.UNKNOWN;
                unk = id;
            }
            Integer r = firstRank.get(tokens[id]);
            scores[id] = r != null ? -r : (tokens[id].codePointCount(0, tokens[id].length()) == 1 ? 0f : -1e9f);
        }
        return new Vocabulary(Kind.LLAMA, tokens, scores, types, null, null, h.bosId(), h.eosId(), unk,
                h.addBosByDefault(), h.chatTemplate());
    }

    // ------------------------------------------------------------------------------------------ GGUF

    /** Puts the {@code tokenizer.ggml.*} keys llama.cpp reads. */
    public void putGguf(GgufWriter w, String defaultPre) {
        w.putString(GgufKeys.TOKENIZER_MODEL, kind == Kind.LLAMA ? "llama" : "gpt2");
        if (kind == Kind.GPT2) w.putString(GgufKeys.TOKENIZER_PRE, pre == null || pre.equals("gpt2") || pre.equals("default")
                ? defaultPre : pre);
        w.putArray(GgufKeys.TOKENIZER_TOKENS, GgufType.STRING, Arrays.asList(tokens));
        if (kind == Kind.LLAMA) w.put(GgufKeys.TOKENIZER_SCORES, GgufType.ARRAY, GgufArray.ofFloat32(scores));
        w.put(GgufKeys.TOKENIZER_TOKEN_TYPE, GgufType.ARRAY, GgufArray.ofInt32(types));
        if (kind == Kind.GPT2) w.putArray(GgufKeys.TOKENIZER_MERGES, GgufType.STRING, Arrays.asList(merges));
        if (bos >= 0) w.putUInt32(GgufKeys.TOKENIZER_BOS_ID, bos);
        if (eos >= 0) w.putUInt32(GgufKeys.TOKENIZER_EOS_ID, eos);
        if (unk >= 0) w.putUInt32(GgufKeys.TOKENIZER_UNK_ID, unk);
        w.putBool(GgufKeys.TOKENIZER_ADD_BOS, addBos && bos >= 0);
        w.putBool(GgufKeys.TOKENIZER_ADD_EOS, false);
        if (chatTemplate != null) w.putString(GgufKeys.TOKENIZER_CHAT_TEMPLATE, chatTemplate);
    }

    /** Our tokenizer for this vocabulary (as the GGUF loader would build it). */
    public Tokenizer toTokenizer() {
        TokenizerOptions o = TokenizerOptions.DEFAULTS.withAddBos(addBos).withChatTemplate(chatTemplate);
        return kind == Kind.LLAMA ? ScoreBpeTokenizer.fromVocab(tokens, scores, types, bos, eos, o)
                : ByteLevelBpeTokenizer.fromVocab(tokens, merges, types, bos, eos, pre, o);
    }

    // ------------------------------------------------------------------------------------------ tokenizer.json

    private static boolean mergeable(int type) {
        return type == TokenType.NORMAL || type == TokenType.USER_DEFINED || type == TokenType.UNUSED
                || type == TokenType.UNDEFINED;
    }

    /** A Hugging Face tokenizer.json equivalent to this vocabulary. */
    public ObjectNode tokenizerJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < tokens.length; id++) {
            boolean control = types[id] == TokenType.CONTROL || id == bos || id == eos;
            if (control || types[id] == TokenType.USER_DEFINED || (kind == Kind.LLAMA && types[id] == TokenType.UNKNOWN)) {
                added.addObject().put("id", id).put("content", tokens[id]).put("single_word", false)
                        .put("lstrip", false).put("rstrip", false).put("normalized", false)
                        .put("special", control || types[id] == TokenType.UNKNOWN);
            }
        }
        ObjectNode vocab = JSON.createObjectNode();
        for (int id = 0; id < tokens.length; id++) if (!vocab.has(tokens[id])) vocab.put(tokens[id], id);
        ArrayNode mergeArray = JSON.createArrayNode();
        if (kind == Kind.LLAMA) {
            for (String m : llamaMerges()) mergeArray.add(m);
            ArrayNode norms = root.putObject("normalizer").put("type", "Sequence").putArray("normalizers");
            norms.addObject().put("type", "Prepend").put("prepend", "\u2581");
            ObjectNode replace = norms.addObject().put("type", "Replace");
            replace.putObject("pattern").put("String", " ");
            replace.put("content", "\u2581");
            root.putNull("pre_tokenizer");
            putBosPostProcessor(root);
            ArrayNode steps = root.putObject("decoder").put("type", "Sequence").putArray("decoders");
            ObjectNode r = steps.addObject().put("type", "Replace");
            r.putObject("pattern").put("String", "\u2581");
            r.put("content", " ");
            steps.addObject().put("type", "ByteFallback");
            steps.addObject().put("type", "Fuse");
            steps.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        } else {
            for (String m : merges) mergeArray.add(m);
            root.putNull("normalizer");
            String regex = switch (pre == null ? "" : pre.toLowerCase(Locale.ROOT)) {
                case "qwen2", "deepseek-r1-qwen", "stablelm2" -> QWEN2_SPLIT;
                case "llama3", "llama-bpe", "smaug-bpe" -> LLAMA3_SPLIT;
                default -> null;
            };
            if (regex == null) {
                root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                        .put("trim_offsets", true).put("use_regex", true);
            } else {
                ArrayNode seq = root.putObject("pre_tokenizer").put("type", "Sequence").putArray("pretokenizers");
                ObjectNode split = seq.addObject().put("type", "Split");
                split.putObject("pattern").put("Regex", regex);
                split.put("behavior", "Isolated").put("invert", false);
                seq.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", false)
                        .put("use_regex", false);
            }
            if (addBos && bos >= 0) putBosPostProcessor(root);
            else root.putObject("post_processor").put("type", "ByteLevel").put("add_prefix_space", false)
                    .put("trim_offsets", false).put("use_regex", true);
            root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", false)
                    .put("trim_offsets", true).put("use_regex", true);
        }
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        if (kind == Kind.LLAMA && unk >= 0) model.put("unk_token", tokens[unk]);
        else model.putNull("unk_token");
        model.putNull("continuing_subword_prefix").putNull("end_of_word_suffix")
                .put("fuse_unk", kind == Kind.LLAMA).put("byte_fallback", kind == Kind.LLAMA).put("ignore_merges", false);
        model.set("vocab", vocab);
        model.set("merges", mergeArray);
        return root;
    }

    private void putBosPostProcessor(ObjectNode root) {
        if (!addBos || bos < 0) {
            root.putNull("post_processor");
            return;
        }
        String b = tokens[bos];
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", b).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", b).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode st = post.putObject("special_tokens").putObject(b);
        st.put("id", b);
        st.putArray("ids").add(bos);
        st.putArray("tokens").add(b);
    }

    /** Every (left, right) split of each mergeable piece with both halves mergeable pieces, best merged score first. */
    List<String> llamaMerges() {
        Map<String, Integer> ids = new HashMap<>();
        for (int id = 0; id < tokens.length; id++) {
            if (mergeable(types[id]) && id != bos && id != eos && !tokens[id].isEmpty()) ids.putIfAbsent(tokens[id], id);
        }
        record M(String text, float score, int id, int split) {}
        List<M> ms = new ArrayList<>();
        for (Map.Entry<String, Integer> e : ids.entrySet()) {
            String p = e.getKey();
            for (int k = p.offsetByCodePoints(0, 1); k < p.length(); k = p.offsetByCodePoints(k, 1)) {
                String l = p.substring(0, k), r = p.substring(k);
                if (ids.containsKey(l) && ids.containsKey(r)) ms.add(new M(l + " " + r, scores[e.getValue()], e.getValue(), k));
            }
        }
        ms.sort(Comparator.comparingDouble((M m) -> -m.score).thenComparingInt(M::id).thenComparingInt(M::split));
        List<String> out = new ArrayList<>(ms.size());
        for (M m : ms) out.add(m.text);
        return out;
    }

    /** tokenizer_config.json for this vocabulary. */
    public ObjectNode tokenizerConfigJson(int maxLength) {
        ObjectNode c = JSON.createObjectNode();
        c.put("add_bos_token", addBos && bos >= 0);
        c.put("add_eos_token", false);
        if (bos >= 0) c.put("bos_token", tokens[bos]); else c.putNull("bos_token");
        if (eos >= 0) c.put("eos_token", tokens[eos]); else c.putNull("eos_token");
        if (kind == Kind.LLAMA && unk >= 0) c.put("unk_token", tokens[unk]);
        c.put("clean_up_tokenization_spaces", false);
        c.put("model_max_length", maxLength);
        c.put("tokenizer_class", kind == Kind.LLAMA ? "LlamaTokenizerFast" : "PreTrainedTokenizerFast");
        if (kind == Kind.LLAMA) c.put("legacy", false);
        if (chatTemplate != null) c.put("chat_template", chatTemplate);
        return c;
    }
}
