package org.taylormlp.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.format.ModelFormatException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tokenizer folders are written by the tests themselves: no downloads. */
class HfTokenizerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String VARIED = "Hello, the lower tower! It's 12,345.67 ☃ café 日本 😀\n\n\tend  ";

    @TempDir
    Path dir;

    // ------------------------------------------------------------------ byte-level BPE (GPT-2 / Qwen2 style)

    /** The vocabulary and merges of {@link ByteLevelBpeTokenizerTest} as a Hugging Face tokenizer.json. */
    static ObjectNode byteLevelTokenizerJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        String[] tokens = ByteLevelBpeTokenizerTest.tokens();
        int[] types = ByteLevelBpeTokenizerTest.types();
        ArrayNode added = root.putArray("added_tokens");
        ObjectNode vocab = JSON.createObjectNode();
        for (int id = 0; id < tokens.length; id++) {
            if (types[id] == TokenType.NORMAL) {
                vocab.put(tokens[id], id);
            } else {
                added.addObject().put("id", id).put("content", tokens[id]).put("single_word", false)
                        .put("lstrip", false).put("rstrip", false).put("normalized", false)
                        .put("special", types[id] == TokenType.CONTROL);
            }
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        root.putObject("post_processor").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", false).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix")
                .putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false);
        model.set("vocab", vocab);
        ArrayNode merges = model.putArray("merges");
        for (String m : ByteLevelBpeTokenizerTest.MERGES) merges.add(m);
        return root;
    }

    private Path writeFolder(String name, ObjectNode tokenizerJson, ObjectNode tokenizerConfig) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(name));
        JSON.writeValue(folder.resolve("tokenizer.json").toFile(), tokenizerJson);
        if (tokenizerConfig != null) JSON.writeValue(folder.resolve("tokenizer_config.json").toFile(), tokenizerConfig);
        return folder;
    }

    @Test
    void byteLevelFolderEncodesLikeOurByteLevelBpe() throws IOException {
        ObjectNode config = JSON.createObjectNode().put("eos_token", "<|im_end|>").putNull("bos_token")
                .put("chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}");
        try (HfTokenizer hf = HfTokenizer.load(writeFolder("bytelevel", byteLevelTokenizerJson(), config))) {
            ByteLevelBpeTokenizer ours = ByteLevelBpeTokenizerTest.tokenizer("gpt2");
            assertThat(hf.decodeMode()).isEqualTo(HfTokenizer.DecodeMode.BYTE_LEVEL);
            for (String text : List.of(VARIED, "the lower", " the", "<|im_start|>user\nhe<|im_end|>", "a<tool>b", "")) {
                assertThat(hf.encode(text, false)).as(text).containsExactly(ours.encode(text, false));
                assertThat(hf.decode(hf.encode(text, false))).as(text)
                        .isEqualTo(text.replace("<|im_start|>", "").replace("<|im_end|>", ""));
            }
            assertThat(hf.encode("the lower", false))
                    .containsExactly('t', ByteLevelBpeTokenizerTest.HE, ' ', ByteLevelBpeTokenizerTest.LOW,
                            ByteLevelBpeTokenizerTest.ER);
            assertThat(hf.bosId()).isEqualTo(-1);
            assertThat(hf.eosId()).isEqualTo(ByteLevelBpeTokenizerTest.IM_END);
            assertThat(hf.addBosByDefault()).isFalse();
            assertThat(hf.encode("he", true)).containsExactly(ByteLevelBpeTokenizerTest.HE); // no BOS to add
            assertThat(hf.isEndOfGeneration(ByteLevelBpeTokenizerTest.IM_END)).isTrue();
            assertThat(hf.isEndOfGeneration(ByteLevelBpeTokenizerTest.ENDOFTEXT)).isTrue(); // well-known name
            assertThat(hf.isEndOfGeneration('a')).isFalse();
            assertThat(hf.chatTemplate()).contains("m.content");
            assertThat(hf.vocabSize()).isEqualTo(268);
            assertThat(hf.tokenId("<tool>")).isEqualTo(ByteLevelBpeTokenizerTest.TOOL);
        }
    }

    @Test
    void streamingBytesMatchTheLibraryDecode() throws IOException {
        try (HfTokenizer hf = HfTokenizer.load(writeFolder("stream", byteLevelTokenizerJson(), null))) {
            int[] ids = hf.encode(VARIED, false);
            StringBuilder streamed = new StringBuilder();
            TokenStreamDecoder d = new TokenStreamDecoder(hf);
            for (int id : ids) streamed.append(d.accept(id));
            streamed.append(d.flush());
            assertThat(streamed.toString()).isEqualTo(VARIED).isEqualTo(hf.libraryDecode(ids));
        }
    }

    @Test
    void noTruncationAt512Tokens() throws IOException {
        try (HfTokenizer hf = HfTokenizer.load(writeFolder("long", byteLevelTokenizerJson(), null))) {
            String text = "the lower tower. ".repeat(400); // well over 512 tokens
            int[] ids = hf.encode(text, false);
            assertThat(ids.length).isGreaterThan(2000);
            assertThat(hf.decode(ids)).isEqualTo(text);
        }
    }

    @Test
    void bosFromTokenizerConfigIsPrepended() throws IOException {
        ObjectNode config = JSON.createObjectNode().put("add_bos_token", true);
        config.putObject("bos_token").put("content", "<|endoftext|>").put("special", true);
        try (HfTokenizer hf = HfTokenizer.load(writeFolder("bos", byteLevelTokenizerJson(), config))) {
            assertThat(hf.bosId()).isEqualTo(ByteLevelBpeTokenizerTest.ENDOFTEXT);
            assertThat(hf.addBosByDefault()).isTrue();
            assertThat(hf.encode("he", true)).containsExactly(ByteLevelBpeTokenizerTest.ENDOFTEXT, ByteLevelBpeTokenizerTest.HE);
            assertThat(hf.encode("he")).containsExactly(ByteLevelBpeTokenizerTest.ENDOFTEXT, ByteLevelBpeTokenizerTest.HE);
            assertThat(hf.encode("he", false)).containsExactly(ByteLevelBpeTokenizerTest.HE);
            assertThat(hf.tokenBytes(-1, ByteLevelBpeTokenizerTest.ENDOFTEXT)).isEmpty();
        }
    }

    @Test
    void generationConfigEosIdsEndGeneration() throws IOException {
        Path folder = writeFolder("gen", byteLevelTokenizerJson(), null);
        Files.writeString(folder.resolve("generation_config.json"), "{\"eos_token_id\": [265, 266]}");
        Files.writeString(folder.resolve("config.json"), "{\"bos_token_id\": 263, \"eos_token_id\": 263}");
        try (HfTokenizer hf = HfTokenizer.load(folder)) {
            assertThat(hf.bosId()).isEqualTo(263);
            assertThat(hf.eosId()).isEqualTo(263);
            assertThat(hf.isEndOfGeneration(265)).isTrue();
            assertThat(hf.isEndOfGeneration(266)).isTrue();
            assertThat(hf.isEndOfGeneration(264)).isFalse();
        }
    }

    // ------------------------------------------------------------------ SentencePiece-like ('▁', byte fallback)

    /** tok512.bin as a Unigram tokenizer.json with Llama's normalizer and decoder. */
    static ObjectNode metaspaceTokenizerJson() {
        Reference.Llama2cVocab v = Reference.readLlama2c(Reference.STORIES260K_TOKENIZER);
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {"<unk>", "<s>", "</s>"};
        for (int id = 0; id < 3; id++) {
            added.addObject().put("id", id).put("content", specials[id]).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        ObjectNode normalizer = root.putObject("normalizer").put("type", "Sequence");
        ArrayNode norms = normalizer.putArray("normalizers");
        norms.addObject().put("type", "Prepend").put("prepend", "\u2581");
        ObjectNode replace = norms.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", "\u2581");
        root.putNull("pre_tokenizer");
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode st = post.putObject("special_tokens").putObject("<s>");
        st.put("id", "<s>");
        st.putArray("ids").add(1);
        st.putArray("tokens").add("<s>");
        ObjectNode decoder = root.putObject("decoder").put("type", "Sequence");
        ArrayNode steps = decoder.putArray("decoders");
        ObjectNode r = steps.addObject().put("type", "Replace");
        r.putObject("pattern").put("String", "\u2581");
        r.put("content", " ");
        steps.addObject().put("type", "ByteFallback");
        steps.addObject().put("type", "Fuse");
        steps.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        ObjectNode model = root.putObject("model").put("type", "Unigram").put("unk_id", 0).put("byte_fallback", true);
        ArrayNode vocab = model.putArray("vocab");
        for (int id = 0; id < v.pieces().size(); id++) {
            String piece = id < 3 ? specials[id] : new String(v.pieces().get(id), StandardCharsets.UTF_8);
            vocab.addArray().add(piece.replace(' ', '\u2581')).add(id < 3 ? 0.0 : v.scores().get(id) - 1.0);
        }
        return root;
    }

    @Test
    void metaspaceFolderDecodesPiecesWithSpacesAndByteFallback() throws IOException {
        try (HfTokenizer hf = HfTokenizer.load(writeFolder("spm", metaspaceTokenizerJson(), null))) {
            assertThat(hf.decodeMode()).isEqualTo(HfTokenizer.DecodeMode.METASPACE);
            int[] ids = hf.encode(VARIED, true);
            assertThat(ids[0]).isEqualTo(1); // the post-processor's <s>
            TokenStreamDecoder d = new TokenStreamDecoder(hf);
            StringBuilder streamed = new StringBuilder();
            for (int id : ids) streamed.append(d.accept(id));
            streamed.append(d.flush());
            assertThat(streamed.toString()).isEqualTo(hf.libraryDecode(ids)).isEqualTo(VARIED);
            // the same pieces decode to the same bytes as the llama2.c tokenizer
            ScoreBpeTokenizer llama2c = ScoreBpeTokenizer.fromLlama2c(Reference.STORIES260K_TOKENIZER, 512);
            for (int id = 3; id < 512; id++) {
                assertThat(hf.tokenBytes(1, id)).as("token %d", id).isEqualTo(llama2c.tokenBytes(1, id));
                assertThat(hf.tokenBytes(400, id)).as("token %d", id).isEqualTo(llama2c.tokenBytes(400, id));
            }
            // no tokenizer_config.json: BOS is what the post-processor puts first
            assertThat(hf.bosId()).isEqualTo(1);
            assertThat(hf.addBosByDefault()).isTrue();
            assertThat(hf.encode("Once upon a time", false)).doesNotContain(1);
        }
    }

    // ------------------------------------------------------------------ errors

    @Test
    void missingTokenizerJson() {
        assertThatThrownBy(() -> HfTokenizer.load(dir))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("tokenizer.json");
    }

    @Test
    void malformedTokenizerJson() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), "{ \"model\": ");
        assertThatThrownBy(() -> HfTokenizer.load(dir))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("tokenizer.json");
    }

    @Test
    void tokenizerJsonTheLibraryRejects() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"NoSuchModel\", \"vocab\": {\"a\": 0}}}");
        assertThatThrownBy(() -> HfTokenizer.load(dir))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("tokenizer.json");
    }

    @Test
    void malformedTokenizerConfig() throws IOException {
        Path folder = writeFolder("badconfig", byteLevelTokenizerJson(), null);
        Files.writeString(folder.resolve("tokenizer_config.json"), "[oops");
        assertThatThrownBy(() -> HfTokenizer.load(folder))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("tokenizer_config.json");
    }
}
