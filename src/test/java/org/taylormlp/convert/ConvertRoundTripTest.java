package org.taylormlp.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.taylormlp.TestFiles;
import org.taylormlp.runtime.Engine;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.synth.SyntheticModels.Family;
import org.taylormlp.cli.Main;
import org.taylormlp.format.gguf.GgufFile;
import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Tensor;
import org.taylormlp.tokenizer.HfTokenizer;
import org.taylormlp.tokenizer.TokenStreamDecoder;
import org.taylormlp.tokenizer.Tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Conversions between llama2.c, GGUF and Hugging Face folders, through the CLI and the API. */
class ConvertRoundTripTest {
    static final String VARIED = "Once upon a time, Lily's dog said: \"Hello!\" 42 times.\n\tThe end ☃ café 日本";

    @TempDir
    Path dir;

    static int cli(String... args) {
        return Main.execute(args);
    }

    @Test
    void llama2cToGgufReproducesTheGoldenTextAndLlamaCppsVocabulary() throws Exception {
        Path out = dir.resolve("stories260K.gguf");
        assertThat(cli("convert", TestFiles.model("stories260K/stories260K.bin").toString(), "--to", "gguf",
                "--out", out.toString())).isZero();
        // the vocabulary equals the one llama.cpp's own converter stored in the reference GGUF
        try (GgufFile ours = GgufFile.open(out); GgufFile ref = GgufFile.open(TestFiles.model("stories260K-gguf/stories260K.gguf"))) {
            assertThat(ours.getStringArray("tokenizer.ggml.tokens")).containsExactly(ref.getStringArray("tokenizer.ggml.tokens"));
            assertThat(ours.getFloatArray("tokenizer.ggml.scores")).containsExactly(ref.getFloatArray("tokenizer.ggml.scores"));
            assertThat(ours.getIntArray("tokenizer.ggml.token_type")).containsExactly(ref.getIntArray("tokenizer.ggml.token_type"));
            assertThat(ours.getString("tokenizer.ggml.model")).isEqualTo("llama");
            assertThat(ours.getLong("tokenizer.ggml.bos_token_id", -1)).isEqualTo(1);
            assertThat(ours.getLong("tokenizer.ggml.eos_token_id", -1)).isEqualTo(2);
            for (String k : List.of("llama.embedding_length", "llama.feed_forward_length", "llama.block_count",
                    "llama.attention.head_count", "llama.attention.head_count_kv")) {
                assertThat(ours.getLong(k, -1)).as(k).isEqualTo(ref.getLong(k, -2));
            }
            assertThat(ours.alignment()).isEqualTo(32);
            // weights are the llama2.c floats, adjacent-pair layout kept (llama2.c and GGUF llama agree)
            for (String t : List.of("blk.0.attn_q.weight", "blk.4.attn_k.weight", "token_embd.weight", "blk.2.ffn_down.weight")) {
                Tensor a = ours.tensor(t), b = ref.tensor(t);
                assertThat(a.shape()).as(t).containsExactly(b.shape());
                assertThat(a.toFloats()).as(t).containsExactly(b.toFloats());
            }
        }
        String expected = Files.readString(TestFiles.model("stories260K/run_c_t0_n200.txt")).stripTrailing();
        assertThat(greedyText(out, 200)).isEqualTo(expected);
    }

    @Test
    void untieWritesTheOutputMatrixSeparatelyAndKeepsTheText() throws Exception {
        Path src = TestFiles.smallModel(); // stories260K, else stories15M
        Path tied = dir.resolve("tied.gguf"), untied = dir.resolve("untied.gguf"), untiedHf = dir.resolve("untied-hf");
        assertThat(cli("convert", src.toString(), "--to", "gguf", "--out", tied.toString())).isZero();
        assertThat(cli("convert", src.toString(), "--to", "gguf", "--untie", "--out", untied.toString())).isZero();
        assertThat(cli("convert", tied.toString(), "--to", "safetensors", "--untie", "--out", untiedHf.toString())).isZero();
        try (Model t = org.taylormlp.runtime.Models.load(tied); Model u = org.taylormlp.runtime.Models.load(untied); Model h = org.taylormlp.runtime.Models.load(untiedHf)) {
            assertThat(t.config().tiedEmbeddings()).isTrue();
            assertThat(t.optional("output.weight")).isNull();
            for (Model m : List.of(u, h)) {
                assertThat(m.config().tiedEmbeddings()).isFalse();
                assertThat(m.require("output.weight").toFloats()).isEqualTo(t.require("token_embd.weight").toFloats()); // isEqualTo: linear in 9.8M floats
            }
            assertThat(Files.size(untied)).isGreaterThan(Files.size(tied) + t.require("token_embd.weight").byteSize() - 64);
        }
        // llama2.c's run.c output for stories260K; for the stand-in, the source checkpoint's own greedy text
        String expected = TestFiles.smallIsStories260K() ? Files.readString(TestFiles.model("stories260K/run_c_t0_n200.txt")).stripTrailing()
                : greedyText(src, 200);
        assertThat(greedyText(untied, 200)).isEqualTo(expected);
        assertThat(greedyText(untiedHf, 200)).isEqualTo(expected);
    }

    static String greedyText(Path model, int steps) {
        try (Engine e = Engine.open(model, null, 1, steps + 1)) {
            Tokenizer tok = e.model().tokenizer();
            StringBuilder text = new StringBuilder();
            TokenStreamDecoder dec = new TokenStreamDecoder(tok, tok.bosId());
            new Generator(e.transformer(), tok).generate(new int[]{tok.bosId()}, steps, Sampler.greedy(), (prev, id) -> {
                text.append(dec.accept(id));
                return true;
            });
            text.append(dec.flush());
            return text.toString().stripTrailing();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama", "llama3", "mistral", "qwen2", "phi2"})
    void ggufToHfToGgufPreservesLogits(String name) throws Exception {
        SyntheticModels.Spec s = CrossFormatTest.spec(name);
        Path g1 = dir.resolve("a.gguf"), hf = dir.resolve("hf"), g2 = dir.resolve("b.gguf");
        try (Model m = SyntheticModels.create(s)) {
            ModelWriters.writeGguf(m, null, g1);
        }
        assertThat(cli("convert", g1.toString(), "--to", "safetensors", "--out", hf.toString())).isZero();
        assertThat(cli("convert", hf.toString(), "--to", "gguf", "--out", g2.toString())).isZero();
        int[] ids = Logits.sequence(s);
        try (Model a = org.taylormlp.runtime.Models.load(g1); Model h = org.taylormlp.runtime.Models.load(hf); Model b = org.taylormlp.runtime.Models.load(g2)) {
            float[] la = Logits.all(a, ids);
            assertThat(Logits.maxAbsDiff(la, Logits.all(h, ids))).isZero();
            assertThat(Logits.maxAbsDiff(la, Logits.all(b, ids))).isZero();
            // GGUF → HF → GGUF restores the very same tensors (permutation and its inverse are exact)
            for (String t : a.tensors().keySet()) {
                assertThat(b.require(t).toFloats()).as(t).containsExactly(a.require(t).toFloats());
            }
            // the HF tokenizer.json encodes like our tokenizer of the GGUF vocabulary
            assertThat(h.tokenizer()).isInstanceOf(HfTokenizer.class);
            for (String text : List.of(VARIED, "the little girl", " once upon a time", "")) {
                assertThat(h.tokenizer().encode(text, false)).as(text).containsExactly(a.tokenizer().encode(text, false));
                assertThat(b.tokenizer().encode(text, false)).as(text).containsExactly(a.tokenizer().encode(text, false));
            }
            assertThat(h.tokenizer().bosId()).isEqualTo(a.tokenizer().bosId());
            assertThat(h.tokenizer().eosId()).isEqualTo(a.tokenizer().eosId());
            assertThat(h.tokenizer().addBosByDefault()).isEqualTo(a.tokenizer().addBosByDefault());
        }
    }

    @Test
    void llama2cVocabularyAsTokenizerJsonEncodesLikeTheScoreBpe() throws Exception {
        Path hf = dir.resolve("stories15M-hf");
        assertThat(cli("convert", TestFiles.model("stories15M/stories15M.bin").toString(), "--to", "safetensors",
                "--dtype", "bf16", "--out", hf.toString())).isZero();
        // llama2.c's run.c story when the test assets are here, else the story the model tells itself
        String story = TestFiles.hasAsset("models/stories15M/run_c_t0_n256.txt")
                ? Files.readString(TestFiles.model("stories15M/run_c_t0_n256.txt")) : greedyText(TestFiles.model("stories15M/stories15M.bin"), 256);
        try (Model src = org.taylormlp.runtime.Models.load(TestFiles.model("stories15M/stories15M.bin")); Model h = org.taylormlp.runtime.Models.load(hf)) {
            for (String text : List.of(story, VARIED, "  two  spaces", "x")) {
                assertThat(h.tokenizer().encode(text, true)).as(text).containsExactly(src.tokenizer().encode(text, true));
            }
            assertThat(new ObjectMapper().readTree(hf.resolve("config.json").toFile()).path("torch_dtype").asText()).isEqualTo("bfloat16");
            assertThat(h.require("blk.0.attn_q.weight").dtype()).isEqualTo(DType.BF16);
            assertThat(h.require("blk.0.attn_norm.weight").dtype()).isEqualTo(DType.F32);
            // BF16 weights: the model still tells the same story for a while
            assertThat(greedyText(hf, 24)).isEqualTo(greedyText(TestFiles.model("stories15M/stories15M.bin"), 24));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0"})
    void quantizedConversionsLoadAndRun(String dtype) throws Exception {
        DType dt = DType.valueOf(dtype);
        SyntheticModels.Spec s = SyntheticModels.tiny(Family.LLAMA);
        Path f32 = dir.resolve("f32.gguf"), q = dir.resolve(dtype + ".gguf");
        try (Model m = SyntheticModels.create(s)) {
            ModelWriters.writeGguf(m, null, f32);
        }
        assertThat(cli("convert", f32.toString(), "--to", "gguf", "--dtype", dtype.toLowerCase(), "--out", q.toString())).isZero();
        int[] ids = Logits.sequence(s);
        try (Model a = org.taylormlp.runtime.Models.load(f32); Model b = org.taylormlp.runtime.Models.load(q)) {
            for (var e : b.tensors().entrySet()) {
                assertThat(e.getValue().dtype()).as(e.getKey()).isEqualTo(e.getValue().rank() == 1 ? DType.F32 : dt);
            }
            float[] la = Logits.all(a, ids), lb = Logits.all(b, ids);
            double d = Logits.maxAbsDiff(la, lb);
            double bound = switch (dt) {
                case F16 -> 0.05;
                case BF16 -> 0.5;
                case Q8_0 -> 1.0;
                default -> 16.0; // 4 bits: of the order of the logit standard deviation
            };
            System.out.printf("convert %s: max|Δlogit| vs F32 = %.3g (logit std 16)%n", dtype, d);
            assertThat(d).isGreaterThan(0).isLessThanOrEqualTo(bound);
            try (GgufFile g = GgufFile.open(q)) {
                assertThat(g.getLong("general.file_type", -1)).isEqualTo(switch (dt) {
                    case F16 -> 1L;
                    case BF16 -> 32L;
                    case Q8_0 -> 7L;
                    default -> 2L;
                });
            }
        }
    }

    @Test
    void rowsThatAreNotWholeBlocksStayF32AndAreReported() throws Exception {
        Path out = dir.resolve("q8.gguf");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = cli("convert", TestFiles.model("stories260K/stories260K.bin").toString(), "--to", "gguf", "--dtype", "q8_0",
                    "--out", out.toString());
        } finally {
            System.setOut(old);
        }
        assertThat(rc).isZero();
        String report = buf.toString(StandardCharsets.UTF_8);
        // stories260K: dim 64 (whole blocks), hidden 172 (not): only the down projections keep F32
        assertThat(report).contains("kept as F32").contains("blk.0.ffn_down.weight").contains("blk.4.ffn_down.weight")
                .doesNotContain("ffn_up");
        try (Model m = org.taylormlp.runtime.Models.load(out)) {
            assertThat(m.require("blk.0.ffn_down.weight").dtype()).isEqualTo(DType.F32);
            assertThat(m.require("blk.0.ffn_up.weight").dtype()).isEqualTo(DType.Q8_0);
            assertThat(m.require("token_embd.weight").dtype()).isEqualTo(DType.Q8_0);
        }
        // Q8_0 stories260K still tells its story for a while
        assertThat(greedyText(out, 20)).isEqualTo(greedyText(TestFiles.model("stories260K/stories260K.bin"), 20));
    }

    @Test
    void synthCommandWritesLoadableModelsOfEveryFamily() throws Exception {
        for (Family f : Family.values()) {
            Path g = dir.resolve(f + ".gguf"), h = dir.resolve(f + "-hf");
            assertThat(cli("synth", "--family", f.name().toLowerCase(), "--to", "gguf", "--out", g.toString())).isZero();
            assertThat(cli("synth", "--family", f.name().toLowerCase(), "--layers", "1", "--to", "hf", "--out", h.toString())).isZero();
            try (Model a = org.taylormlp.runtime.Models.load(g); Model b = org.taylormlp.runtime.Models.load(h)) {
                assertThat(a.config().architecture()).isEqualTo(f == Family.MISTRAL ? org.taylormlp.model.Architecture.LLAMA
                        : f.architecture());
                assertThat(b.config().architecture()).isEqualTo(f.architecture());
                assertThat(a.config().nLayers()).isEqualTo(2);
                assertThat(b.config().nLayers()).isEqualTo(1);
            }
        }
    }
}
