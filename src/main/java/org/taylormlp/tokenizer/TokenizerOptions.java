package org.taylormlp.tokenizer;

import java.util.Arrays;

/**
 * Model-level settings that do not change how text is split, only how a tokenizer is used.
 *
 * @param addBos             whether prompts start with BOS by default; {@code null}: "when a BOS id exists"
 * @param addSpacePrefix     SentencePiece-style vocabularies only: prepend a space to non-empty text
 *                           (GGUF {@code tokenizer.ggml.add_space_prefix}, default true)
 * @param endOfGenerationIds ids besides EOS that end generation (end-of-turn tokens such as {@code <|im_end|>})
 * @param chatTemplate       Jinja chat template source, or {@code null}
 */
public record TokenizerOptions(Boolean addBos, boolean addSpacePrefix, int[] endOfGenerationIds, String chatTemplate) {
    public static final TokenizerOptions DEFAULTS = new TokenizerOptions(null, true, new int[0], null);

    public TokenizerOptions {
        endOfGenerationIds = endOfGenerationIds == null ? new int[0] : endOfGenerationIds.clone();
    }

    @Override
    public int[] endOfGenerationIds() { return endOfGenerationIds.clone(); }

    public TokenizerOptions withAddBos(Boolean value) {
        return new TokenizerOptions(value, addSpacePrefix, endOfGenerationIds, chatTemplate);
    }

    public TokenizerOptions withAddSpacePrefix(boolean value) {
        return new TokenizerOptions(addBos, value, endOfGenerationIds, chatTemplate);
    }

    public TokenizerOptions withEndOfGenerationIds(int... ids) {
        return new TokenizerOptions(addBos, addSpacePrefix, ids, chatTemplate);
    }

    public TokenizerOptions withChatTemplate(String template) {
        return new TokenizerOptions(addBos, addSpacePrefix, endOfGenerationIds, template);
    }

    boolean isExtraEndOfGeneration(int id) {
        for (int e : endOfGenerationIds) {
            if (e == id) return true;
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenizerOptions t && java.util.Objects.equals(addBos, t.addBos)
                && addSpacePrefix == t.addSpacePrefix && Arrays.equals(endOfGenerationIds, t.endOfGenerationIds)
                && java.util.Objects.equals(chatTemplate, t.chatTemplate);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(addBos, addSpacePrefix, Arrays.hashCode(endOfGenerationIds), chatTemplate);
    }

    @Override
    public String toString() {
        return "TokenizerOptions[addBos=" + addBos + ", addSpacePrefix=" + addSpacePrefix + ", endOfGenerationIds="
                + Arrays.toString(endOfGenerationIds) + ", chatTemplate=" + (chatTemplate == null ? "null"
                : chatTemplate.length() + " chars") + "]";
    }
}
