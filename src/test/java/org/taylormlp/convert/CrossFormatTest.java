package org.taylormlp.convert;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.synth.SyntheticModels.Family;
import org.taylormlp.format.safetensors.SafetensorsFolder;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.tensor.Tensor;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same synthetic weights written as GGUF and as a Hugging Face folder give bit-identical logits in our engine
 * (docs/PERFORMANCE.md: both RoPE layouts hold bit-identical q/k vectors), equal to the in-memory model's: the Q/K row permutation between the two RoPE layouts, biases, partial rotary, tied embeddings
 * and Llama-3.1 scaling (rope_freqs.weight vs rope_scaling) are all exercised.
 */
class CrossFormatTest {
    /**
     * GGUF file vs the in-memory model it was written from: bit-identical for every family, since every kernel gives
     * the same bits in every JIT tier (Phi-2 once differed by 7.6e-6, while GELU used the Vector API's TANH).
     */
    static final double MEMORY_TOL = 0;

    @TempDir
    Path dir;

    static SyntheticModels.Spec spec(String name) {
        return name.equals("llama3") ? SyntheticModels.tiny(Family.LLAMA).withRopeScaling(SyntheticModels.TINY_LLAMA3_SCALING)
                : SyntheticModels.tiny(Family.parse(name));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama", "llama3", "mistral", "qwen2", "phi2"})
    void ggufAndHfFolderGiveIdenticalLogits(String name) throws Exception {
        SyntheticModels.Spec s = spec(name);
        Path gguf = dir.resolve(name + ".gguf"), hf = dir.resolve(name + "-hf");
        int[] ids = Logits.sequence(s);
        float[] reference;
        try (Model m = SyntheticModels.create(s)) {
            reference = Logits.all(m, ids);
            ModelWriters.Report rg = ModelWriters.writeGguf(m, null, gguf);
            ModelWriters.Report rh = ModelWriters.writeHf(m, null, hf, ModelWriters.DEFAULT_SHARD_BYTES);
            boolean llamaLike = s.family() == Family.LLAMA || s.family() == Family.MISTRAL;
            assertThat(rg.permuted()).isEmpty();
            assertThat(rh.permuted()).hasSize(llamaLike ? 2 * s.layers() : 0);
        }
        try (Model g = org.taylormlp.runtime.Models.load(gguf); Model h = org.taylormlp.runtime.Models.load(hf)) {
            assertThat(g.config().ropeStyle()).isEqualTo(ModelWriters.ggufRopeStyle(g.config().architecture()));
            assertThat(h.config().ropeStyle()).isEqualTo(ModelConfig.RopeStyle.NEOX);
            assertThat(h.config().architecture()).isEqualTo(s.family().architecture());
            assertThat(h.config().rotaryDim()).isEqualTo(s.rotaryDim());
            assertThat(h.config().slidingWindow()).isEqualTo(s.window());
            assertThat(g.config().slidingWindow()).isEqualTo(s.window());
            assertThat(h.config().tiedEmbeddings()).isEqualTo(s.tied());
            float[] lg = Logits.all(g, ids), lh = Logits.all(h, ids);
            double dGguf = Logits.maxAbsDiff(reference, lg), dHf = Logits.maxAbsDiff(lg, lh);
            System.out.printf("cross-format %-8s max|Δlogit| gguf-vs-memory %.2e, hf-vs-gguf %.2e%n", name, dGguf, dHf);
            assertThat(dGguf).isLessThanOrEqualTo(MEMORY_TOL);
            assertThat(dHf).as("GGUF vs HF logits are bit-identical (docs/PERFORMANCE.md)").isEqualTo(0.0);
            if (s.family() == Family.LLAMA || s.family() == Family.MISTRAL) {
                // the HF folder holds half-split rows: HF row hs/2 of head 0 is GGUF (adjacent) row 1
                Tensor gq = g.require("blk.0.attn_q.weight"), hq = h.require("blk.0.attn_q.weight");
                float[] a = new float[gq.cols()], b = new float[hq.cols()];
                gq.readRow(1, a);
                hq.readRow(s.headDim() / 2, b);
                assertThat(b).containsExactly(a);
                hq.readRow(1, b);
                assertThat(b).isNotEqualTo(a);
            }
        }
        try (SafetensorsFolder st = SafetensorsFolder.open(hf)) {
            List<String> names = st.tensorNames();
            assertThat(names).contains("model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight");
            assertThat(names.contains("lm_head.weight")).isEqualTo(!s.tied());
        }
    }
}
