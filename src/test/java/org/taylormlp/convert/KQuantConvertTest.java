package org.taylormlp.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.synth.SyntheticModels.Family;
import org.taylormlp.cli.Main;
import org.taylormlp.format.gguf.GgufFile;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Tensor;

/**
 * {@code convert --dtype q4_k_m | q5_k_m | q6_k} through the CLI: llama.cpp's per-tensor mix (K-quants, Q6_K for
 * the output and the use_more_bits layers of attn_v / ffn_down, fallbacks for rows that are not whole
 * super-blocks), a K-quant file converted back to F32 holds exactly the dequantized values, the quantizer's error
 * is that of its bit width, and the quantized model's logits equal those of its F32 dequantization up to float
 * summation order.
 */
class KQuantConvertTest {
    @TempDir
    Path dir;

    /** A Llama whose matrices are whole 256-element super-blocks (the tiny presets have rows of 128). */
    static SyntheticModels.Spec llama256() {
        SyntheticModels.Spec t = SyntheticModels.tiny(Family.LLAMA);
        return new SyntheticModels.Spec(t.family(), 256, 512, 8, 8, 2, 32, 32, t.ropeTheta(), null, 0,
                t.contextLength(), false, t.vocab(), t.dtype(), t.logitStd(), 29);
    }

    @Test
    void q4KmMixRoundTripsThroughConvert() throws Exception {
        Path f32 = dir.resolve("f32.gguf"), q = dir.resolve("q4km.gguf"), back = dir.resolve("back.gguf");
        try (Model m = SyntheticModels.create(llama256())) {
            ModelWriters.writeGguf(m, DType.F32, f32);
        }
        assertThat(Main.execute("convert", f32.toString(), "--to", "gguf", "--dtype", "q4_k_m", "--out", q.toString())).isZero();
        Map<String, DType> types = new HashMap<>();
        try (GgufFile g = GgufFile.open(q)) {
            for (Tensor t : g.tensors()) types.put(t.name(), t.dtype());
            assertThat(g.getLong("general.file_type", -1)).isEqualTo(15); // LLAMA_FTYPE_MOSTLY_Q4_K_M
        }
        // 8 layers: use_more_bits is true for layers 0 (first eighth), 7 (last eighth), 3 and 6 ((i - 1) % 3 == 2)
        for (int l = 0; l < 8; l++) {
            DType want = l == 0 || l == 3 || l == 6 || l == 7 ? DType.Q6_K : DType.Q4_K;
            assertThat(types.get("blk." + l + ".attn_v.weight")).as("attn_v of layer %d", l).isEqualTo(want);
            assertThat(types.get("blk." + l + ".ffn_down.weight")).as("ffn_down of layer %d", l).isEqualTo(want);
            assertThat(types.get("blk." + l + ".attn_q.weight")).isEqualTo(DType.Q4_K);
            assertThat(types.get("blk." + l + ".ffn_up.weight")).isEqualTo(DType.Q4_K);
            assertThat(types.get("blk." + l + ".attn_norm.weight")).isEqualTo(DType.F32);
        }
        assertThat(types.get("output.weight")).isEqualTo(DType.Q6_K);
        assertThat(types.get("token_embd.weight")).isEqualTo(DType.Q4_K);

        // back to F32: exactly the values the K-quant blocks decode to
        assertThat(Main.execute("convert", q.toString(), "--to", "gguf", "--dtype", "f32", "--out", back.toString())).isZero();
        try (GgufFile a = GgufFile.open(q); GgufFile b = GgufFile.open(back)) {
            for (Tensor t : a.tensors()) {
                Tensor u = b.tensor(t.name());
                assertThat(u.dtype()).isEqualTo(DType.F32);
                assertThat(u.toFloats()).as(t.name()).containsExactly(t.toFloats());
            }
        }

        // the quantizer's error per matrix (relative RMS against the F32 source) is that of 4 / 6 bits
        try (GgufFile src = GgufFile.open(f32); GgufFile a = GgufFile.open(q)) {
            for (Tensor t : a.tensors()) {
                if (t.rank() != 2) continue;
                float[] x = src.tensor(t.name()).toFloats(), y = t.toFloats();
                double e = 0, n = 0;
                for (int i = 0; i < x.length; i++) {
                    e += (double) (x[i] - y[i]) * (x[i] - y[i]);
                    n += (double) x[i] * x[i];
                }
                double rel = Math.sqrt(e / n);
                assertThat(rel).as("%s %s relative RMS error", t.name(), t.dtype())
                        .isLessThan(t.dtype() == DType.Q6_K ? 0.03 : 0.12).isGreaterThan(0);
            }
        }
        // the K-quant kernels compute the model of the dequantized weights on activations rounded to 8 bits per block
        // of 32 (ActivationRounding, as llama.cpp): logits near those of the F32 file written from it, within what that
        // rounding moves them (measured 1.0 of the largest logit 57.5); the kernels' exact check is KQuantsTest
        int[] ids = Logits.sequence(llama256());
        float[] ref, got;
        try (Model m = org.taylormlp.runtime.Models.load(back)) {
            ref = Logits.all(m, ids);
        }
        try (Model m = org.taylormlp.runtime.Models.load(q)) {
            got = Logits.all(m, ids);
        }
        double maxRef = 0;
        for (float v : ref) maxRef = Math.max(maxRef, Math.abs(v));
        double d = Logits.maxAbsDiff(ref, got);
        System.out.printf("q4_k_m vs its F32 dequantization: max |Δlogit| %.2e (max |logit| %.1f)%n", d, maxRef);
        assertThat(d).as("max |Δlogit| Q4_K_M file vs its F32 dequantization").isGreaterThan(0).isLessThan(0.05 * maxRef);
    }

    /**
     * protect and audit take a K-quant file: the release is built from the weights as llama.cpp dequantizes them,
     * and the audit's zero-query recovery gives back exactly those weights (the K-quant original, not the F32 source).
     */
    @Test
    void protectAndAuditTakeKQuantInputs() throws Exception {
        Path f32 = dir.resolve("pa-f32.gguf"), q = dir.resolve("pa-q4km.gguf");
        Path calib = dir.resolve("pa.calib"), rel = dir.resolve("pa.release.safetensors"), out = dir.resolve("pa-audit");
        try (Model m = SyntheticModels.create(llama256())) {
            ModelWriters.writeGguf(m, DType.F32, f32);
        }
        assertThat(Main.execute("convert", f32.toString(), "--to", "gguf", "--dtype", "q4_k_m", "--out", q.toString())).isZero();
        assertThat(Main.execute("calibrate", "-m", q.toString(), "--self-text", "256", "-o", calib.toString(), "-t", "1")).isZero();
        assertThat(Main.execute("protect", "-m", q.toString(), "--calibration", calib.toString(), "-o", rel.toString())).isZero();
        assertThat(Main.execute("audit", rel.toString(), "--original", q.toString(), "--attacks", "zero_query",
                "--skip-learning", "--out", out.toString(), "-t", "1")).isZero();
        com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(java.nio.file.Files.readString(out.resolve("report.json")));
        System.out.printf("K-quant original: audit recovered_relative_error %.3g, neurons recovered %.3f%n",
                j.path("recovered_relative_error").asDouble(), j.path("fraction_neurons_recovered").asDouble());
        assertThat(j.path("fraction_neurons_recovered").asDouble()).isEqualTo(1.0);
        assertThat(j.path("recovered_relative_error").asDouble()).isLessThan(1e-6);
    }

    @Test
    void rowsThatAreNotWholeSuperBlocksFallBackAsInLlamaCpp() throws Exception {
        Path f32 = dir.resolve("tiny.gguf");
        try (Model m = SyntheticModels.create(SyntheticModels.tiny(Family.QWEN2))) {
            ModelWriters.writeGguf(m, DType.F32, f32);
        }
        for (String mix : new String[] {"q4_k_m", "q5_k_m", "q6_k"}) {
            Path q = dir.resolve(mix + ".gguf");
            assertThat(Main.execute("convert", f32.toString(), "--to", "gguf", "--dtype", mix, "--out", q.toString())).isZero();
            DType fallback = switch (mix) {
                case "q4_k_m" -> DType.Q5_0;
                case "q5_k_m" -> DType.Q5_1;
                default -> DType.Q8_0;
            };
            try (GgufFile g = GgufFile.open(q)) {
                // rows of 128 (dim) are not whole super-blocks: Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0
                assertThat(g.tensor("blk.1.attn_q.weight").dtype()).as(mix).isEqualTo(fallback);
                assertThat(g.tensor("token_embd.weight").dtype()).as(mix + " tied embeddings are the output: Q6_K -> Q8_0")
                        .isEqualTo(DType.Q8_0);
            }
        }
    }
}
