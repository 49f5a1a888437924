package org.taylormlp.model;

import org.junit.jupiter.api.Test;
import org.taylormlp.model.ModelConfig.Activation;
import org.taylormlp.model.ModelConfig.NormType;
import org.taylormlp.model.ModelConfig.RopeStyle;

import static org.assertj.core.api.Assertions.assertThat;

/** ModelConfig.builder starts from the family's defaults and derives what is not set. */
class ModelConfigBuilderTest {
    static ModelConfig.Builder sizes(Architecture a) {
        return ModelConfig.builder(a).dim(64).hiddenDim(172).nLayers(2).nHeads(8).vocabSize(512).contextLength(256);
    }

    @Test
    void llamaDefaultsAreTheLlama2cOnes() {
        ModelConfig c = sizes(Architecture.LLAMA).nKvHeads(4).build();
        // the values llama2.c checkpoints have always been read with (positional form of the record)
        assertThat(c).isEqualTo(new ModelConfig(Architecture.LLAMA, 64, 172, 2, 8, 4, 8, 512, 256, 1e-5f, NormType.RMS, 10000.0,
                RopeStyle.ADJACENT, 8, null, 0, false, true, Activation.SILU, false, false, false, false, false, 1, 2));
    }

    @Test
    void familiesDifferWhereTheyShould() {
        ModelConfig phi = sizes(Architecture.PHI2).build();
        assertThat(phi.normType()).isEqualTo(NormType.LAYER);
        assertThat(phi.ropeStyle()).isEqualTo(RopeStyle.NEOX);
        assertThat(phi.parallelResidual()).isTrue();
        assertThat(phi.gatedMlp()).isFalse();
        assertThat(phi.activation()).isEqualTo(Activation.GELU_TANH);
        assertThat(phi.attnQkvBias() && phi.attnOutBias() && phi.mlpBias() && phi.outputBias()).isTrue();

        ModelConfig qwen = sizes(Architecture.QWEN2).build();
        assertThat(qwen.ropeStyle()).isEqualTo(RopeStyle.NEOX);
        assertThat(qwen.attnQkvBias()).isTrue();
        assertThat(qwen.attnOutBias() || qwen.mlpBias() || qwen.outputBias()).isFalse();
        assertThat(qwen.normType()).isEqualTo(NormType.RMS);

        ModelConfig mistral = sizes(Architecture.MISTRAL).slidingWindow(4096).build();
        assertThat(mistral.ropeStyle()).isEqualTo(RopeStyle.ADJACENT);
        assertThat(mistral.slidingWindow()).isEqualTo(4096);
        assertThat(mistral.gatedMlp()).isTrue();
    }

    @Test
    void derivedSizesAndExplicitValues() {
        ModelConfig c = sizes(Architecture.PHI2).rotaryDim(4).build();
        assertThat(c.nKvHeads()).isEqualTo(8);
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(c.rotaryDim()).isEqualTo(4);
        // a bad value read from a file is kept for problem() to report, not replaced by a default
        assertThat(sizes(Architecture.LLAMA).nKvHeads(0).build().problem()).contains("non-positive");
        assertThat(sizes(Architecture.LLAMA).headDim(0).build().problem()).contains("non-positive");
        assertThat(c.toBuilder().build()).isEqualTo(c);
        assertThat(c.withTiedEmbeddings(true).tiedEmbeddings()).isTrue();
        assertThat(c.withContextLength(99)).isEqualTo(c.toBuilder().contextLength(99).build());
    }
}
