package org.taylormlp.tokenizer;

import org.junit.jupiter.api.Test;
import org.taylormlp.format.ModelFormatException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenizersTest {
    static final Path FILE = Path.of("model.gguf");

    @Test
    void realStories260kGgufTokenizesLikeTok512() throws IOException {
        Map<String, Object> md = GgufMetadataReader.read(Reference.stories260KGguf());
        Tokenizer gguf = Tokenizers.fromGgufMetadata(md, Reference.stories260KGguf());
        ScoreBpeTokenizer llama2c = ScoreBpeTokenizer.fromLlama2c(Reference.STORIES260K_TOKENIZER, 512);
        assertThat(gguf).isInstanceOf(ScoreBpeTokenizer.class);
        assertThat(gguf.vocabSize()).isEqualTo(512);
        assertThat(gguf.bosId()).isEqualTo(1);
        assertThat(gguf.eosId()).isEqualTo(2);
        assertThat(gguf.addBosByDefault()).isTrue();
        String text = Reference.runCText("stories260K-gguf", "run_c_t0_n200_via_conversion.txt");
        for (String t : List.of(text, ScoreBpeTokenizerTest.VARIED, "Once upon a time")) {
            assertThat(gguf.encode(t, true)).containsExactly(llama2c.encode(t, true));
        }
        int[] greedy = Reference.greedyIds("stories260K");
        int[] withBos = new int[greedy.length + 1];
        withBos[0] = 1;
        System.arraycopy(greedy, 0, withBos, 1, greedy.length);
        assertThat(gguf.decode(withBos)).isEqualTo(Reference.greedyText("stories260K"));
        assertThat(text).startsWith(gguf.decode(withBos));
    }

    /** Metadata of the hand-made byte-level vocabulary of {@link ByteLevelBpeTokenizerTest}. */
    static Map<String, Object> gpt2Metadata() {
        Map<String, Object> md = new HashMap<>();
        md.put("tokenizer.ggml.model", "gpt2");
        md.put("tokenizer.ggml.tokens", List.of(ByteLevelBpeTokenizerTest.tokens()));
        md.put("tokenizer.ggml.merges", List.of(ByteLevelBpeTokenizerTest.MERGES));
        List<Object> types = new ArrayList<>();
        for (int t : ByteLevelBpeTokenizerTest.types()) types.add((long) t);
        md.put("tokenizer.ggml.token_type", types);
        md.put("tokenizer.ggml.bos_token_id", (long) ByteLevelBpeTokenizerTest.ENDOFTEXT);
        md.put("tokenizer.ggml.eos_token_id", (long) ByteLevelBpeTokenizerTest.ENDOFTEXT);
        md.put("tokenizer.ggml.padding_token_id", 4294967295L);
        md.put("tokenizer.ggml.add_bos_token", false);
        md.put("tokenizer.ggml.pre", "qwen2");
        md.put("tokenizer.chat_template", "{% for message in messages %}...{% endfor %}");
        return md;
    }

    @Test
    void gpt2MetadataBuildsAByteLevelTokenizer() {
        Tokenizer t = Tokenizers.fromGgufMetadata(gpt2Metadata(), FILE);
        assertThat(t).isInstanceOf(ByteLevelBpeTokenizer.class);
        assertThat(((ByteLevelBpeTokenizer) t).preTokenizer()).isEqualTo("qwen2");
        assertThat(t.encode("<|im_start|>the lower<|im_end|>", false))
                .containsExactly(ByteLevelBpeTokenizerTest.IM_START, 't', ByteLevelBpeTokenizerTest.HE, ' ',
                        ByteLevelBpeTokenizerTest.LOW, ByteLevelBpeTokenizerTest.ER, ByteLevelBpeTokenizerTest.IM_END);
        assertThat(t.addBosByDefault()).isFalse();
        assertThat(t.chatTemplate()).startsWith("{% for message");
        // <|im_end|> and <|end|> are well-known end-of-turn control tokens
        assertThat(t.isEndOfGeneration(ByteLevelBpeTokenizerTest.IM_END)).isTrue();
        assertThat(t.isEndOfGeneration(ByteLevelBpeTokenizerTest.END)).isTrue();
        assertThat(t.isEndOfGeneration(ByteLevelBpeTokenizerTest.ENDOFTEXT)).isTrue();
        assertThat(t.isEndOfGeneration(ByteLevelBpeTokenizerTest.IM_START)).isFalse();
    }

    @Test
    void eotTokenIdEndsGeneration() {
        Map<String, Object> md = gpt2Metadata();
        md.put("tokenizer.ggml.eot_token_id", (long) 'x');
        assertThat(Tokenizers.fromGgufMetadata(md, FILE).isEndOfGeneration('x')).isTrue();
    }

    @Test
    void llamaMetadataWithoutOptionalKeysUsesLlamaDefaults() {
        ScoreBpeTokenizer ref = ScoreBpeTokenizerTest.tok512AsGguf();
        Map<String, Object> md = new HashMap<>();
        md.put("tokenizer.ggml.model", "llama");
        List<Object> tokens = new ArrayList<>();
        List<Object> scores = new ArrayList<>();
        for (int i = 0; i < ref.vocabSize(); i++) {
            tokens.add(ref.piece(i).replace(' ', '\u2581'));
            scores.add((double) ref.score(i));
        }
        md.put("tokenizer.ggml.tokens", tokens);
        md.put("tokenizer.ggml.scores", scores);
        Tokenizer t = Tokenizers.fromGgufMetadata(md, FILE);
        assertThat(t.bosId()).isEqualTo(1);
        assertThat(t.eosId()).isEqualTo(2);
        assertThat(t.encode("Once upon a time", true)).containsExactly(1, 403, 407, 261, 378);
        md.put("tokenizer.ggml.add_space_prefix", false);
        md.put("tokenizer.ggml.add_bos_token", false);
        Tokenizer noPrefix = Tokenizers.fromGgufMetadata(md, FILE);
        assertThat(noPrefix.addBosByDefault()).isFalse();
        assertThat(noPrefix.decode(noPrefix.encode("Once", false))).isEqualTo("Once");
    }

    @Test
    void unknownModelIsRejected() {
        Map<String, Object> md = gpt2Metadata();
        md.put("tokenizer.ggml.model", "bert");
        assertThatThrownBy(() -> Tokenizers.fromGgufMetadata(md, FILE))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.gguf")
                .hasMessageContaining("bert");
        md.remove("tokenizer.ggml.model");
        assertThatThrownBy(() -> Tokenizers.fromGgufMetadata(md, FILE))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("tokenizer.ggml.model");
    }

    @Test
    void missingTokensOrMergesAreRejected() {
        Map<String, Object> md = gpt2Metadata();
        md.remove("tokenizer.ggml.merges");
        assertThatThrownBy(() -> Tokenizers.fromGgufMetadata(md, FILE))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("merges");
        md.remove("tokenizer.ggml.tokens");
        assertThatThrownBy(() -> Tokenizers.fromGgufMetadata(md, FILE))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("tokenizer.ggml.tokens");
    }

    @Test
    void wrongTypesAndLengthsAreRejected() {
        Map<String, Object> md = gpt2Metadata();
        md.put("tokenizer.ggml.bos_token_id", "one");
        assertThatThrownBy(() -> Tokenizers.fromGgufMetadata(md, FILE))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("bos_token_id");
        Map<String, Object> md2 = gpt2Metadata();
        md2.put("tokenizer.ggml.token_type", List.of(1L, 1L));
        assertThatThrownBy(() -> Tokenizers.fromGgufMetadata(md2, FILE))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("token_type");
        Map<String, Object> md3 = gpt2Metadata();
        md3.put("tokenizer.ggml.merges", List.of("Ġt"));
        assertThatThrownBy(() -> Tokenizers.fromGgufMetadata(md3, FILE))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("merge 0");
        Map<String, Object> md4 = gpt2Metadata();
        List<Object> tokens = new ArrayList<>(Arrays.asList(ByteLevelBpeTokenizerTest.tokens()));
        tokens.set(5, 5L);
        md4.put("tokenizer.ggml.tokens", tokens);
        assertThatThrownBy(() -> Tokenizers.fromGgufMetadata(md4, FILE))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("tokenizer.ggml.tokens[5]");
    }

    @Test
    void noneIdsCountAsAbsent() {
        Map<String, Object> md = gpt2Metadata();
        md.put("tokenizer.ggml.bos_token_id", 4294967295L);
        Tokenizer t = Tokenizers.fromGgufMetadata(md, FILE);
        assertThat(t.bosId()).isEqualTo(-1);
        assertThat(t.encode("he", true)).containsExactly(ByteLevelBpeTokenizerTest.HE);
    }
}
