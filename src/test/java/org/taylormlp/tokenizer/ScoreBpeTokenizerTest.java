package org.taylormlp.tokenizer;

import org.taylormlp.TestFiles;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScoreBpeTokenizerTest {
    static final String VARIED = "Hello, World! It's 2024: 3.14 + 42 = 45.14?\nSecond line\twith a tab.\n\n"
            + "café ☃ 日本 😀 naïve \"quoted\" (parens) [x] {y} a--b ~ <s> </s> <0x0A> end.";

    static ScoreBpeTokenizer stories15m;
    static ScoreBpeTokenizer stories15mOld;
    static ScoreBpeTokenizer stories260k;

    @BeforeAll
    static void load() {
        stories15m = ScoreBpeTokenizer.fromLlama2c(Reference.STORIES15M_TOKENIZER, 32000);
        stories15mOld = ScoreBpeTokenizer.fromLlama2c(Reference.STORIES15M_OLD_TOKENIZER, 32000);
        stories260k = ScoreBpeTokenizer.fromLlama2c(Reference.STORIES260K_TOKENIZER, 512);
    }

    static int[] withBos(int[] ids) {
        return IntStream.concat(IntStream.of(1), Arrays.stream(ids)).toArray();
    }

    // ------------------------------------------------------------------ stories15M (Llama-2 vocabulary)

    @Test
    void stories15mDecodesTheGreedyReferenceLikeRunC() {
        String decoded = stories15m.decode(withBos(Reference.greedyIds("stories15M")));
        String runC = Reference.runCText("stories15M", "run_c_t0_n256.txt");
        assertThat(decoded).startsWith("Once upon a time, there was a little girl named Lily.")
                .contains("pretty.\nLily wanted")
                .hasSizeGreaterThan(200);
        assertThat(runC).startsWith(decoded);
        assertThat(decoded).isEqualTo(Reference.greedyText("stories15M").replace("<0x0A>", "\n"));
    }

    @Test
    void stories15mEncodesOnceUponATimeAsTheReference() {
        assertThat(stories15m.encode("Once upon a time", true)).containsExactly(1, 9038, 2501, 263, 931);
        assertThat(stories15m.encode("Once upon a time", false)).containsExactly(9038, 2501, 263, 931);
    }

    @Test
    void stories15mEncodingTheReferenceTextGivesTheGreedyIds() {
        // the model's greedy continuation happens to be the canonical BPE segmentation of its text
        String text = Reference.greedyText("stories15M").replace("<0x0A>", "\n");
        assertThat(stories15m.encode(text, true)).containsExactly(withBos(Reference.greedyIds("stories15M")));
    }

    @Test
    void stories15mByteFallbackUsesHexByteTokens() {
        // '\n' is not a piece of the Llama-2 vocabulary: byte token <0x0A> = 3 + 10
        assertThat(stories15m.encode("\n", false)).containsExactly(29871, 13);
        assertThat(stories15m.piece(13)).isEqualTo("<0x0A>");
        assertThat(stories15m.tokenBytes(1, 13)).containsExactly(10);
    }

    @ParameterizedTest
    @ValueSource(strings = {VARIED, "a", " leading space", "trailing space ", "  two  spaces  ", "\n", "😀", "<s>"})
    void stories15mRoundTrips(String text) {
        int[] ids = stories15m.encode(text, true);
        assertThat(stories15m.decode(ids)).isEqualTo(text);
        // without BOS the dummy-prefix space stays (llama2.c only strips it right after BOS)
        assertThat(stories15m.decode(stories15m.encode(text, false))).isEqualTo(" " + text);
    }

    @Test
    void controlTokenTextIsPlainText() {
        int[] ids = stories15m.encode("<s> hi </s>", true);
        assertThat(ids[0]).isEqualTo(1);
        assertThat(Arrays.stream(ids).skip(1)).doesNotContain(0, 1, 2);
        assertThat(stories15m.decode(ids)).isEqualTo("<s> hi </s>");
    }

    @Test
    void emptyTextIsOnlyBos() {
        assertThat(stories15m.encode("", true)).containsExactly(1);
        assertThat(stories15m.encode("", false)).isEmpty();
    }

    @Test
    void bosAndEosDecodeToNothingAndEosEndsGeneration() {
        assertThat(stories15m.tokenBytes(-1, 1)).isEmpty();
        assertThat(stories15m.tokenBytes(5, 2)).isEmpty();
        assertThat(stories15m.isEndOfGeneration(2)).isTrue();
        assertThat(stories15m.isEndOfGeneration(13)).isFalse();
        assertThat(stories15m.bosId()).isEqualTo(1);
        assertThat(stories15m.eosId()).isEqualTo(2);
        assertThat(stories15m.vocabSize()).isEqualTo(32000);
        assertThat(stories15m.addBosByDefault()).isTrue();
    }

    @Test
    void leadingSpaceIsStrippedOnlyAfterBos() {
        int once = 9038; // " Once"
        assertThat(new String(stories15m.tokenBytes(1, once), StandardCharsets.UTF_8)).isEqualTo("Once");
        assertThat(new String(stories15m.tokenBytes(263, once), StandardCharsets.UTF_8)).isEqualTo(" Once");
        assertThat(new String(stories15m.tokenBytes(-1, once), StandardCharsets.UTF_8)).isEqualTo(" Once");
    }

    @Test
    void idsOutsideTheVocabularyDecodeToNothing() {
        assertThat(stories15m.tokenBytes(1, 32000)).isEmpty();
        assertThat(stories15m.tokenBytes(1, -5)).isEmpty();
    }

    // ------------------------------------------------------------------ old-format stories15M tokenizer

    @Test
    void oldFormatDecodesLikeTheNewFormat() {
        int[] ids = TestFiles.hasAsset("models/stories15M/greedy_reference.json") ? withBos(Reference.greedyIds("stories15M"))
                : stories15m.encode(Reference.STORY, true);
        assertThat(stories15mOld.decode(ids)).isEqualTo(stories15m.decode(ids));
        for (int id = 0; id < 32000; id++) {
            assertThat(stories15mOld.tokenBytes(1, id)).as("token %d", id).isEqualTo(stories15m.tokenBytes(1, id));
            assertThat(stories15mOld.tokenBytes(-1, id)).as("token %d", id).isEqualTo(stories15m.tokenBytes(-1, id));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {VARIED, "Once upon a time", "\u00ff\u0080 \n x"})
    void oldFormatEncodesLikeTheNewFormat(String text) {
        assertThat(stories15mOld.encode(text, true)).containsExactly(stories15m.encode(text, true));
        assertThat(stories15mOld.decode(stories15mOld.encode(text, true))).isEqualTo(text);
    }

    @Test
    void oldFormatByteTokensAreTheBytePlusThree() {
        assertThat(stories15mOld.tokenType(3 + 'e')).isEqualTo(TokenType.BYTE);
        assertThat(stories15mOld.tokenBytes(-1, 3 + 0xFF)).containsExactly((byte) 0xFF);
        // the piece "e" exists twice (byte token 104 and normal token 29872); text uses the normal one
        assertThat(stories15mOld.encode("e", false)).containsExactly(stories15m.encode("e", false));
    }

    // ------------------------------------------------------------------ stories260K (512-token vocabulary)

    @Test
    void stories260kDecodesTheGreedyReferenceLikeRunC() {
        String decoded = stories260k.decode(withBos(Reference.greedyIds("stories260K")));
        assertThat(decoded).isEqualTo(Reference.greedyText("stories260K"))
                .startsWith("Once upon a time, there was a little girl named Lily.");
        assertThat(Reference.runCText("stories260K", "run_c_t0_n200.txt")).startsWith(decoded);
    }

    @Test
    void stories260kEncodesOnceUponATimeAsTheReference() {
        int[] greedy = Reference.greedyIds("stories260K");
        assertThat(stories260k.decode(new int[] {1, greedy[0], greedy[1], greedy[2], greedy[3]}))
                .isEqualTo("Once upon a time");
        assertThat(stories260k.encode("Once upon a time", true)).containsExactly(1, 403, 407, 261, 378);
    }

    @Test
    void stories260kEncodingTheReferenceTextGivesTheGreedyIds() {
        String text = Reference.greedyText("stories260K");
        assertThat(stories260k.encode(text, true)).containsExactly(withBos(Reference.greedyIds("stories260K")));
    }

    @ParameterizedTest
    @ValueSource(strings = {VARIED, "Lily's mom said, \"Lily, let's go to the park.\"", " ", "日本"})
    void stories260kRoundTrips(String text) {
        assertThat(stories260k.decode(stories260k.encode(text, true))).isEqualTo(text);
    }

    @Test
    void stories260kRoundTripsTheWholeRunCText() {
        String text = Reference.runCTextOrStory("stories260K", "run_c_t0_n200.txt");
        assertThat(stories260k.decode(stories260k.encode(text, true))).isEqualTo(text);
    }

    // ------------------------------------------------------------------ fromVocab ('▁' form) == fromLlama2c

    /** tok512.bin converted the way llama.cpp's converter writes a GGUF "llama" vocabulary. */
    static ScoreBpeTokenizer tok512AsGguf() {
        Reference.Llama2cVocab v = Reference.readLlama2c(Reference.STORIES260K_TOKENIZER);
        int n = v.pieces().size();
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            String piece = new String(v.pieces().get(i), StandardCharsets.UTF_8);
            scores[i] = v.scores().get(i);
            if (i == 0) {
                types[i] = TokenType.UNKNOWN;
            } else if (i <= 2) {
                types[i] = TokenType.CONTROL;
                piece = i == 1 ? "<s>" : "</s>";
            } else if (piece.matches("<0x[0-9A-F]{2}>")) {
                types[i] = TokenType.BYTE;
            } else {
                types[i] = TokenType.NORMAL;
            }
            tokens[i] = piece.replace(' ', '\u2581');
        }
        return ScoreBpeTokenizer.fromVocab(tokens, scores, types, 1, 2);
    }

    @Test
    void ggufVocabularyEncodesAndDecodesLikeTheLlama2cFile() {
        ScoreBpeTokenizer gguf = tok512AsGguf();
        assertThat(gguf.piece(261)).isEqualTo(" a"); // stored as "▁a", normalised
        List<String> texts = List.of(VARIED, Reference.runCTextOrStory("stories260K", "run_c_t0_n200.txt"),
                " ", "", "x", "  spaces   inside  ", "\u2581literal lower one eighth block");
        for (String text : texts) {
            for (boolean bos : new boolean[] {true, false}) {
                int[] ids = stories260k.encode(text, bos);
                assertThat(gguf.encode(text, bos)).as("%s / bos=%s", text, bos).containsExactly(ids);
                assertThat(gguf.decode(ids)).isEqualTo(stories260k.decode(ids));
            }
        }
        assertThat(gguf.decode(gguf.encode("\u2581x", true))).isEqualTo("\u2581x");
    }

    @Test
    void ggufVocabularyWithoutTypesDetectsByteTokens() {
        ScoreBpeTokenizer reference = tok512AsGguf();
        String[] tokens = IntStream.range(0, 512).mapToObj(i -> reference.piece(i).replace(' ', '\u2581'))
                .toArray(String[]::new);
        float[] scores = new float[512];
        for (int i = 0; i < 512; i++) scores[i] = reference.score(i);
        ScoreBpeTokenizer untyped = ScoreBpeTokenizer.fromVocab(tokens, scores, null, 1, 2);
        assertThat(untyped.encode(VARIED, true)).containsExactly(reference.encode(VARIED, true));
        assertThat(untyped.tokenBytes(1, 1)).isEmpty();
    }

    // ------------------------------------------------------------------ merge order on a hand-made vocabulary

    @Test
    void mergesTheHighestScoringPairFirstAndTheLeftmostOnTies() {
        //                 0        1    2    3    4    5     6     7      8      9
        String[] tokens = {"<unk>", "a", "b", "c", "ab", "bc", "abc", "▁a", "▁ab", "aa"};
        float[] scores = {0, 0, 0, 0, -1, -2, -3, -10, -0.5f, -1};
        int[] types = {2, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        ScoreBpeTokenizer t = ScoreBpeTokenizer.fromVocab(tokens, scores, types, -1, -1,
                TokenizerOptions.DEFAULTS.withAddSpacePrefix(false));
        // "ab" (-1) beats "bc" (-2); then "abc" (-3) merges "ab"+"c"
        assertThat(t.encode("abc", false)).containsExactly(6);
        // "bcab": "bc" and "ab" both possible → "ab" (better score) merges first: b c ab → bc ab
        assertThat(t.encode("bcab", false)).containsExactly(5, 4);
        // equal scores: leftmost pair first
        assertThat(t.encode("abab", false)).containsExactly(4, 4);
        assertThat(t.encode("aaa", false)).containsExactly(9, 1);
        assertThat(t.encode("aab", false)).containsExactly(9, 2); // "aa" and "ab" tie at -1
        // unknown character without byte tokens → one <unk> per symbol
        assertThat(t.encode("azb", false)).containsExactly(1, 0, 2);

        ScoreBpeTokenizer spaced = ScoreBpeTokenizer.fromVocab(tokens, scores, types, -1, -1);
        // dummy prefix: " ab" → "▁a"(-10) vs "ab"(-1): "ab" first, then "▁"+"ab" is not "▁ab"? it is: -0.5
        assertThat(spaced.encode("ab", false)).containsExactly(8);
        assertThat(spaced.addBosByDefault()).isFalse();
    }

    @Test
    void byteTypeTokensMustLookLikeBytes() {
        assertThatThrownBy(() -> ScoreBpeTokenizer.fromVocab(new String[] {"<unk>", "x"}, null, new int[] {2, 6}, -1, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("<0xNN>");
        assertThatThrownBy(() -> ScoreBpeTokenizer.fromVocab(new String[] {"a"}, new float[2], null, -1, -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ScoreBpeTokenizer.fromVocab(new String[] {"a"}, null, null, 3, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("BOS");
    }

    @Test
    void encodesLongTextQuickly() {
        String text = Reference.runCTextOrStory("stories15M", "run_c_t0_n256.txt").repeat(200); // ~160 KB
        long t0 = System.nanoTime();
        int[] ids = stories15m.encode(text, true);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(stories15m.decode(ids)).isEqualTo(text);
        assertThat(ms).as("encode time in ms").isLessThan(10_000);
    }
}
