package org.taylormlp.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ByteLevelBpeTokenizerTest {
    /** Ids 0..255: the single bytes, spelled in GPT-2's alphabet; then merge results and special tokens. */
    static final String[] MERGES = {"Ġ t", "h e", "Ġt he", "l o", "lo w", "e r", "Ġ l"};
    static final int G_T = 256, HE = 257, G_THE = 258, LO = 259, LOW = 260, ER = 261, G_L = 262;
    static final int ENDOFTEXT = 263, IM_START = 264, IM_END = 265, END = 266, TOOL = 267;

    static String[] tokens() {
        List<String> t = new ArrayList<>();
        for (int b = 0; b < 256; b++) t.add(String.valueOf(GptByteMap.charOf(b)));
        t.addAll(List.of("Ġt", "he", "Ġthe", "lo", "low", "er", "Ġl"));
        t.addAll(List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|end|>", "<tool>"));
        return t.toArray(String[]::new);
    }

    static int[] types() {
        int[] types = new int[268];
        Arrays.fill(types, TokenType.NORMAL);
        types[ENDOFTEXT] = types[IM_START] = types[IM_END] = types[END] = TokenType.CONTROL;
        types[TOOL] = TokenType.USER_DEFINED;
        return types;
    }

    static ByteLevelBpeTokenizer tokenizer(String pre) {
        return ByteLevelBpeTokenizer.fromVocab(tokens(), MERGES, types(), ENDOFTEXT, ENDOFTEXT, pre);
    }

    final ByteLevelBpeTokenizer gpt2 = tokenizer("gpt-2");

    @Test
    void byteAlphabetMatchesGpt2() {
        assertThat(GptByteMap.charOf(' ')).isEqualTo('Ġ');
        assertThat(GptByteMap.charOf('\n')).isEqualTo('Ċ');
        assertThat(GptByteMap.charOf('A')).isEqualTo('A');
        assertThat(GptByteMap.charOf(0xAD)).isEqualTo('\u0143'); // soft hyphen, the last remapped byte
        assertThat(GptByteMap.charOf(0xE9)).isEqualTo('é');
        for (int b = 0; b < 256; b++) assertThat(GptByteMap.byteOf(GptByteMap.charOf(b))).isEqualTo(b);
    }

    @Test
    void mergesByRankAsComputedByHand() {
        // "the": t h e → "h e" (rank 1) → t he; "t he" is no merge
        // " lower": Ġ l o w e r → "Ġ l" (rank 6) loses to "l o" (3): Ġ lo w e r → "lo w" (4) → Ġ low e r → "e r" (5)
        assertThat(gpt2.encode("the lower", false)).containsExactly('t', HE, ' ', LOW, ER);
        // " the": Ġ t h e → "Ġ t" (0) → Ġt h e → "h e" (1) → Ġt he → "Ġt he" (2)
        assertThat(gpt2.encode(" the", false)).containsExactly(G_THE);
        // "her": "h e" (1) before "e r" (5)
        assertThat(gpt2.encode("her", false)).containsExactly(HE, 'r');
        // " lo": "Ġ l" (6) vs "l o" (3) → Ġ lo
        assertThat(gpt2.encode(" lo", false)).containsExactly(' ', LO);
        // words are merged separately: no merge across the pre-tokenizer boundary of "l" and " t"
        assertThat(gpt2.encode("l the", false)).containsExactly('l', G_THE);
    }

    @Test
    void equalRanksMergeLeftmostFirst() {
        List<String> t = new ArrayList<>();
        for (int b = 0; b < 256; b++) t.add(String.valueOf(GptByteMap.charOf(b)));
        t.add("aa");
        ByteLevelBpeTokenizer tok = ByteLevelBpeTokenizer.fromVocab(t.toArray(String[]::new), new String[] {"a a"},
                null, -1, -1, null);
        assertThat(tok.encode("aaa", false)).containsExactly(256, 'a');
        assertThat(tok.encode("aaaaa", false)).containsExactly(256, 256, 'a');
    }

    @Test
    void bosIsAddedOnRequestOnly() {
        assertThat(gpt2.encode("he", true)).containsExactly(ENDOFTEXT, HE);
        assertThat(gpt2.encode("", true)).containsExactly(ENDOFTEXT);
        assertThat(gpt2.encode("", false)).isEmpty();
        assertThat(gpt2.addBosByDefault()).isFalse();
        assertThat(gpt2.withOptions(TokenizerOptions.DEFAULTS.withAddBos(true)).addBosByDefault()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"the lower tower", "  two  spaces\n\n\tand tabs ", "café ☃ 日本語 😀👩‍👩‍👧 ok",
            "Ünïcödé: ½ ∑ 𝔘", "\u0000\u0001\u007f", "It's 12,345.67 dollars!!"})
    void roundTripsArbitraryUtf8(String text) {
        assertThat(gpt2.decode(gpt2.encode(text, false))).isEqualTo(text);
        assertThat(tokenizer("qwen2").decode(tokenizer("qwen2").encode(text, true))).isEqualTo(text);
    }

    @Test
    void emojiBecomesItsUtf8Bytes() {
        byte[] utf8 = "😀".getBytes(StandardCharsets.UTF_8);
        int[] expected = new int[utf8.length];
        for (int i = 0; i < utf8.length; i++) expected[i] = utf8[i] & 0xFF;
        assertThat(gpt2.encode("😀", false)).containsExactly(expected);
    }

    @Test
    void controlTokensInTextBecomeSingleIds() {
        int[] ids = gpt2.encode("<|im_start|>user\nhe<|im_end|><|endoftext|>", false);
        assertThat(ids).containsExactly(IM_START, 'u', 's', ER, '\n', HE, IM_END, ENDOFTEXT);
        // the longest special token wins where several start at the same place
        assertThat(gpt2.encode("<|end|><|endoftext|>", false)).containsExactly(END, ENDOFTEXT);
        // control tokens decode to nothing
        assertThat(gpt2.decode(ids)).isEqualTo("user\nhe");
    }

    @Test
    void withoutSpecialParsingControlTokensAreText() {
        String text = "<|im_start|>he<tool>";
        int[] ids = gpt2.encode(text, false, false);
        assertThat(ids).doesNotContain(IM_START).endsWith(TOOL); // user-defined tokens are always split out
        assertThat(gpt2.decode(ids)).isEqualTo(text);
    }

    @Test
    void userDefinedTokensDecodeToTheirText() {
        assertThat(gpt2.encode("a<tool>b", false)).containsExactly('a', TOOL, 'b');
        assertThat(new String(gpt2.tokenBytes(-1, TOOL), StandardCharsets.UTF_8)).isEqualTo("<tool>");
        assertThat(gpt2.specialTokenId("<|im_end|>")).isEqualTo(IM_END);
        assertThat(gpt2.specialTokenId("nope")).isEqualTo(-1);
    }

    @Test
    void endOfGeneration() {
        assertThat(gpt2.isEndOfGeneration(ENDOFTEXT)).isTrue();
        assertThat(gpt2.isEndOfGeneration(IM_END)).isFalse();
        ByteLevelBpeTokenizer chat = gpt2.withOptions(TokenizerOptions.DEFAULTS.withEndOfGenerationIds(IM_END)
                .withChatTemplate("{{ messages }}"));
        assertThat(chat.isEndOfGeneration(IM_END)).isTrue();
        assertThat(chat.chatTemplate()).isEqualTo("{{ messages }}");
        assertThat(chat.encode(" the", false)).containsExactly(G_THE);
    }

    @Test
    void gpt2PreTokenizer() {
        assertThat(gpt2.preTokenize("Hello world's 123abc!!  x\n\ny HE'S"))
                .containsExactly("Hello", " world", "'s", " 123", "abc", "!!", " ", " x", "\n", "\n", "y", " HE",
                        "'", "S");
        assertThat(gpt2.preTokenize("(hello)")).containsExactly("(", "hello", ")");
        assertThat(gpt2.preTokenize("a\u3000b")).containsExactly("a", "\u3000", "b"); // Unicode whitespace
        assertThat(tokenizer(null).preTokenize("x  y")).containsExactly("x", " ", " y");
    }

    @Test
    void qwen2PreTokenizer() {
        ByteLevelBpeTokenizer qwen = tokenizer("qwen2");
        assertThat(qwen.preTokenize("Hello world's 123abc!!  x\n\ny HE'S"))
                .containsExactly("Hello", " world", "'s", " ", "1", "2", "3", "abc", "!!", " ", " x", "\n\n", "y",
                        " HE", "'S");
        assertThat(qwen.preTokenize("(hello)")).containsExactly("(hello", ")");
        assertThat(qwen.preTokenize("end.\n\nNext")).containsExactly("end", ".\n\n", "Next");
    }

    @Test
    void llama3PreTokenizerGroupsDigitsInThrees() {
        ByteLevelBpeTokenizer llama3 = tokenizer("llama-bpe");
        assertThat(llama3.preTokenize("x 1234567")).containsExactly("x", " ", "123", "456", "7");
    }

    @Test
    void hugeWordsAndRunsDoNotOverflowTheStack() {
        for (String text : List.of("x".repeat(200_000), " ".repeat(200_000), "!?".repeat(100_000),
                "7".repeat(200_000), "a\n".repeat(100_000))) {
            assertThat(gpt2.decode(gpt2.encode(text, false))).isEqualTo(text);
            assertThat(tokenizer("qwen2").encode(text, false)).isNotEmpty();
        }
    }

    @Test
    void decodingOutsideTheVocabularyGivesNothing() {
        assertThat(gpt2.tokenBytes(-1, 10_000)).isEmpty();
        assertThat(gpt2.vocabSize()).isEqualTo(268);
    }

    @Test
    void malformedInput() {
        assertThatThrownBy(() -> ByteLevelBpeTokenizer.fromVocab(tokens(), new String[] {"ab"}, null, -1, -1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("merge 0");
        assertThatThrownBy(() -> ByteLevelBpeTokenizer.fromVocab(tokens(), MERGES, new int[3], -1, -1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token types");
        // a vocabulary without single-byte tokens cannot encode everything
        ByteLevelBpeTokenizer tiny = ByteLevelBpeTokenizer.fromVocab(new String[] {"a"}, new String[0], null, -1, -1, null);
        assertThat(tiny.encode("aa", false)).containsExactly(0, 0);
        assertThatThrownBy(() -> tiny.encode("b", false)).isInstanceOf(org.taylormlp.TaylorMlpException.class).hasMessageContaining("cannot encode byte");
    }
}
