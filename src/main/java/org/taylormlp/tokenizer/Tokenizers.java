package org.taylormlp.tokenizer;

import org.taylormlp.format.ModelFormatException;
import org.taylormlp.format.gguf.GgufKeys;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Picks and builds the right {@link Tokenizer} for a model file's tokenizer description. */
public final class Tokenizers {
    /** Control tokens that end a turn in common chat formats (llama.cpp treats these as end-of-generation). */
    private static final Set<String> END_OF_TURN_NAMES = Set.of(
            "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|eom_id|>", "<|end|>", "<end_of_turn>", "<|end_of_text|>");

    private Tokenizers() {}

    /**
     * Builds the tokenizer described by GGUF metadata. Value convention: integers are {@link Long}, floats
     * {@link Double}, strings {@link String}, arrays {@link List}, booleans {@link Boolean}. Keys:
     * {@code tokenizer.ggml.model} ("llama" or "gpt2"), {@code .tokens}, {@code .scores}, {@code .token_type},
     * {@code .merges}, {@code .bos_token_id}, {@code .eos_token_id}, {@code .eot_token_id},
     * {@code .eom_token_id}, {@code .add_bos_token}, {@code .add_space_prefix}, {@code .pre},
     * {@code tokenizer.chat_template}. Ids outside the vocabulary (GGUF writes uint32 -1 for "none") count as
     * absent.
     *
     * @param file the GGUF file, named in errors
     * @throws ModelFormatException on a missing or unknown tokenizer model, missing tokens or merges, or
     *                              values of the wrong type or length
     */
    public static Tokenizer fromGgufMetadata(Map<String, Object> md, Path file) {
        String model = string(md, GgufKeys.TOKENIZER_MODEL, file);
        if (model == null) throw new ModelFormatException(file, "no " + GgufKeys.TOKENIZER_MODEL + " in the metadata");
        List<?> tokenList = list(md, GgufKeys.TOKENIZER_TOKENS, file);
        if (tokenList == null || tokenList.isEmpty()) {
            throw new ModelFormatException(file, "no " + GgufKeys.TOKENIZER_TOKENS + " in the metadata");
        }
        String[] tokens = strings(tokenList, GgufKeys.TOKENIZER_TOKENS, file);
        int n = tokens.length;
        int[] types = null;
        List<?> typeList = list(md, GgufKeys.TOKENIZER_TOKEN_TYPE, file);
        if (typeList != null) {
            if (typeList.size() != n) {
                throw new ModelFormatException(file, GgufKeys.TOKENIZER_TOKEN_TYPE + " has " + typeList.size()
                        + " entries for " + n + " tokens");
            }
            types = new int[n];
            for (int i = 0; i < n; i++) types[i] = (int) number(typeList.get(i), GgufKeys.TOKENIZER_TOKEN_TYPE, file);
        }
        boolean llama = model.equals("llama");
        int bos = tokenId(md, GgufKeys.TOKENIZER_BOS_ID, n, llama ? 1 : -1, file);
        int eos = tokenId(md, GgufKeys.TOKENIZER_EOS_ID, n, llama ? 2 : -1, file);

        TreeSet<Integer> eog = new TreeSet<>();
        for (String key : List.of(GgufKeys.TOKENIZER_EOT_ID, GgufKeys.TOKENIZER_EOM_ID)) {
            int id = tokenId(md, key, n, -1, file);
            if (id >= 0) eog.add(id);
        }
        if (types != null) {
            for (int i = 0; i < n; i++) {
                if (types[i] == TokenType.CONTROL && isEndOfTurnName(tokens[i])) eog.add(i);
            }
        }
        TokenizerOptions options = TokenizerOptions.DEFAULTS
                .withAddBos(bool(md, GgufKeys.TOKENIZER_ADD_BOS, file))
                .withEndOfGenerationIds(eog.stream().mapToInt(Integer::intValue).toArray())
                .withChatTemplate(string(md, GgufKeys.TOKENIZER_CHAT_TEMPLATE, file));
        Boolean spacePrefix = bool(md, GgufKeys.TOKENIZER_ADD_SPACE_PREFIX, file);
        if (spacePrefix != null) options = options.withAddSpacePrefix(spacePrefix);

        try {
            switch (model) {
                case "llama" -> {
                    float[] scores = null;
                    List<?> scoreList = list(md, GgufKeys.TOKENIZER_SCORES, file);
                    if (scoreList != null) {
                        if (scoreList.size() != n) {
                            throw new ModelFormatException(file, GgufKeys.TOKENIZER_SCORES + " has " + scoreList.size()
                                    + " entries for " + n + " tokens");
                        }
                        scores = new float[n];
                        for (int i = 0; i < n; i++) scores[i] = (float) real(scoreList.get(i), file);
                    }
                    return ScoreBpeTokenizer.fromVocab(tokens, scores, types, bos, eos, options);
                }
                case "gpt2" -> {
                    List<?> mergeList = list(md, GgufKeys.TOKENIZER_MERGES, file);
                    if (mergeList == null) throw new ModelFormatException(file, "gpt2 tokenizer without " + GgufKeys.TOKENIZER_MERGES);
                    String[] merges = strings(mergeList, GgufKeys.TOKENIZER_MERGES, file);
                    return ByteLevelBpeTokenizer.fromVocab(tokens, merges, types, bos, eos,
                            string(md, GgufKeys.TOKENIZER_PRE, file), options);
                }
                default -> throw new ModelFormatException(file, "unsupported " + GgufKeys.TOKENIZER_MODEL + " '" + model
                        + "' (supported: llama, gpt2)");
            }
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, "invalid tokenizer vocabulary: " + e.getMessage(), e);
        }
    }

    /** True for the text of well-known end-of-turn control tokens. */
    static boolean isEndOfTurnName(String piece) {
        return piece != null && END_OF_TURN_NAMES.contains(piece);
    }

    // ------------------------------------------------------------------------------------------ metadata access

    private static String string(Map<String, Object> md, String key, Path file) {
        Object v = md.get(key);
        if (v == null) return null;
        if (v instanceof String s) return s;
        throw wrongType(key, "a string", v, file);
    }

    private static List<?> list(Map<String, Object> md, String key, Path file) {
        Object v = md.get(key);
        if (v == null) return null;
        if (v instanceof List<?> l) return l;
        throw wrongType(key, "an array", v, file);
    }

    private static Boolean bool(Map<String, Object> md, String key, Path file) {
        Object v = md.get(key);
        if (v == null) return null;
        if (v instanceof Boolean b) return b;
        throw wrongType(key, "a boolean", v, file);
    }

    private static int tokenId(Map<String, Object> md, String key, int vocabSize, int fallback, Path file) {
        Object v = md.get(key);
        if (v == null) return fallback < vocabSize ? fallback : -1;
        long id = number(v, key, file);
        return id >= 0 && id < vocabSize ? (int) id : -1;
    }

    private static long number(Object v, String key, Path file) {
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        throw wrongType(key, "an integer", v, file);
    }

    private static double real(Object v, Path file) {
        if (v instanceof Number num) return num.doubleValue();
        throw wrongType(GgufKeys.TOKENIZER_SCORES, "numbers", v, file);
    }

    private static String[] strings(List<?> list, String key, Path file) {
        String[] out = new String[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof String s)) throw wrongType(key + "[" + i + "]", "a string", list.get(i), file);
            out[i] = s;
        }
        return out;
    }

    private static ModelFormatException wrongType(String key, String expected, Object v, Path file) {
        return new ModelFormatException(file, key + " should be " + expected + " but is "
                + (v == null ? "null" : v.getClass().getSimpleName()));
    }
}
