package org.taylormlp.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.TestFiles;
import org.taylormlp.runtime.Engine;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.synth.SyntheticModels.Family;
import org.taylormlp.cli.Main;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.format.gguf.GgufFile;
import org.taylormlp.format.gguf.GgufWriter;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every kind of bad model input fails with a typed exception naming the file and the problem. */
class LoaderBadInputTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** The synthetic llama as GGUF, with its metadata/tensors edited by {@code edit} before writing. */
    private Path gguf(String name, Consumer<GgufWriter> edit, String dropTensor, Tensor replace) throws IOException {
        Path good = dir.resolve("good.gguf");
        if (!Files.exists(good)) {
            try (Model m = SyntheticModels.create(SyntheticModels.tiny(Family.LLAMA))) {
                ModelWriters.writeGguf(m, null, good);
            }
        }
        Path out = dir.resolve(name);
        try (GgufFile g = GgufFile.open(good)) {
            GgufWriter w = new GgufWriter().putAll(g);
            edit.accept(w);
            for (Tensor t : g.tensors()) {
                if (t.name().equals(dropTensor)) continue;
                w.addTensor(replace != null && replace.name().equals(t.name()) ? replace : t);
            }
            w.write(out);
        }
        return out;
    }

    private Path hf(String name) throws IOException {
        Path out = dir.resolve(name);
        try (Model m = SyntheticModels.create(SyntheticModels.tiny(Family.QWEN2))) {
            ModelWriters.writeHf(m, null, out, ModelWriters.DEFAULT_SHARD_BYTES);
        }
        return out;
    }

    private void editConfig(Path folder, Consumer<ObjectNode> edit) throws IOException {
        Path c = folder.resolve("config.json");
        ObjectNode n = (ObjectNode) JSON.readTree(c.toFile());
        edit.accept(n);
        JSON.writeValue(c.toFile(), n);
    }

    /** Opens the model and builds the engine (shape checks live there). */
    private static void open(Path p) {
        try (Engine e = Engine.open(p, null, 1, 64)) {
            e.transformer();
        }
    }

    @Test
    void unknownGgufArchitecture() throws IOException {
        Path p = gguf("arch.gguf", w -> w.putString("general.architecture", "gptj"), null, null);
        assertThatThrownBy(() -> org.taylormlp.runtime.Models.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("unknown architecture 'gptj'");
    }

    @Test
    void unknownHfModelType() throws IOException {
        Path p = hf("type");
        editConfig(p, c -> c.put("model_type", "bert"));
        assertThatThrownBy(() -> org.taylormlp.runtime.Models.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(p.resolve("config.json").toString()).hasMessageContaining("model_type 'bert'");
    }

    @Test
    void unknownDtypeInSafetensorsAndOnTheCommandLine() throws IOException {
        Path p = hf("dtype");
        Path st = p.resolve("model.safetensors");
        byte[] b = Files.readAllBytes(st);
        String s = new String(b, StandardCharsets.ISO_8859_1);
        int i = s.indexOf("\"dtype\":\"F32\"");
        assertThat(i).isPositive();
        // same width: "F32" -> "F8X" (not a safetensors dtype)
        byte[] patched = s.substring(0, i).concat("\"dtype\":\"F8X\"").concat(s.substring(i + 13)).getBytes(StandardCharsets.ISO_8859_1);
        Files.write(st, patched);
        assertThatThrownBy(() -> org.taylormlp.runtime.Models.load(p)).isInstanceOf(TaylorMlpException.class)
                .hasMessageContaining("model.safetensors").hasMessageContaining("unknown dtype 'F8X'");
        Cli r = cli("convert", hf("dtype2").toString(), "--to", "gguf", "--dtype", "q3_k", "--out", dir.resolve("x.gguf").toString());
        assertThat(r.code).isEqualTo(2); // an invalid argument (q5_k is a real target since K-quants; Q3_K is not supported)
        assertThat(r.err).contains("unknown dtype 'q3_k'");
    }

    @Test
    void ggufWithoutTokenizer() throws IOException {
        Path p = gguf("notok.gguf", w -> w.remove("tokenizer.ggml.model").remove("tokenizer.ggml.tokens"), null, null);
        assertThatThrownBy(() -> org.taylormlp.runtime.Models.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("tokenizer");
    }

    @Test
    void hfFolderWithoutTokenizerJson() throws IOException {
        Path p = hf("notok");
        Files.delete(p.resolve("tokenizer.json"));
        assertThatThrownBy(() -> org.taylormlp.runtime.Models.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("missing tokenizer");
    }

    @Test
    void llama2cWithoutTokenizerBin() throws IOException {
        Path p = dir.resolve("alone").resolve("model.bin");
        Files.createDirectories(p.getParent());
        Files.copy(TestFiles.smallModel(), p);
        assertThatThrownBy(() -> org.taylormlp.runtime.Models.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("missing tokenizer");
        Cli r = cli("convert", p.toString(), "--to", "gguf", "--out", dir.resolve("y.gguf").toString());
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains("missing tokenizer");
    }

    @Test
    void wrongTensorShape() throws IOException {
        Tensor bad = Tensor.ofFloats("blk.1.attn_k.weight", new float[64 * 128], 64, 128); // expected [32, 128]
        Path p = gguf("shape.gguf", w -> {}, null, bad);
        assertThatThrownBy(() -> open(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("blk.1.attn_k.weight")
                .hasMessageContaining("expected [32, 128]");
    }

    @Test
    void missingTensor() throws IOException {
        Path p = gguf("missing.gguf", w -> {}, "blk.1.ffn_down.weight", null);
        assertThatThrownBy(() -> open(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("missing tensor 'blk.1.ffn_down.weight'");
    }

    @Test
    void absurdDimensionsInConfigJson() throws IOException {
        Path p = hf("absurd");
        editConfig(p, c -> c.put("hidden_size", 2_000_000_000).put("intermediate_size", 2_000_000_000));
        assertThatThrownBy(() -> org.taylormlp.runtime.Models.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("config.json").hasMessageContaining("absurd dimension");
        Path q = hf("overflow");
        editConfig(q, c -> c.put("num_attention_heads", 65536).put("head_dim", 65536));
        assertThatThrownBy(() -> org.taylormlp.runtime.Models.load(q)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("config.json").hasMessageContaining("absurd dimension");
    }

    @Test
    void absurdDimensionsInGgufMetadata() throws IOException {
        Path p = gguf("absurd.gguf", w -> w.putUInt32("llama.embedding_length", 4_000_000_000L), null, null);
        assertThatThrownBy(() -> org.taylormlp.runtime.Models.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("llama.embedding_length");
        Path q = gguf("absurd2.gguf", w -> w.putUInt32("llama.attention.head_count", 1 << 20)
                .putUInt32("llama.attention.key_length", 1 << 20), null, null);
        assertThatThrownBy(() -> org.taylormlp.runtime.Models.load(q)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(q.toString()).hasMessageContaining("absurd dimension");
    }

    @Test
    void badCommandLinesExitWithTwoAndUsage() {
        for (String[] args : new String[][]{
                {"convert"},
                {"convert", "x.gguf", "--out", "y.gguf"},
                {"convert", "x.gguf", "--to", "gguf", "--out", "y.gguf", "--bogus"},
                {"synth", "--family", "llama"},
                {"synth", "--family", "llama", "--to", "gguf", "--out", "z.gguf", "--layers", "two"}}) {
            Cli r = cli(args);
            assertThat(r.code).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err).as(String.join(" ", args)).contains("Usage:");
        }
        Cli r = cli("synth", "--family", "gpt9", "--to", "gguf", "--out", dir.resolve("z.gguf").toString());
        assertThat(r.code).isEqualTo(2); // every invalid argument: 2
        assertThat(r.err).contains("unknown family 'gpt9'");
        Cli q = cli("convert", TestFiles.smallModel().toString(), "--to", "safetensors",
                "--dtype", "q8_0", "--out", dir.resolve("st").toString());
        assertThat(q.code).isEqualTo(2);
        assertThat(q.err).contains("safetensors cannot store q8_0");
    }

    record Cli(int code, String err) {}

    static Cli cli(String... args) {
        PrintStream old = System.err, oldOut = System.out;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            return new Cli(Main.execute(args), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(old);
            System.setOut(oldOut);
        }
    }
}
