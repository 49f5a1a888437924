package org.taylormlp.convert;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.model.Model;
import org.taylormlp.nn.Transformer;
import org.taylormlp.tensor.KernelsProvider;

import static org.assertj.core.api.Assertions.assertThat;

/** A prompt processed in one batch, in chunks, or token by token gives the same logits (≤ 1e-5). */
class PrefillEquivalenceTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama", "llama3", "mistral", "qwen2", "phi2"})
    void batchedAndStepwisePrefillAgree(String name) {
        SyntheticModels.Spec s = CrossFormatTest.spec(name);
        int[] ids = Logits.sequence(s);
        try (Model m = SyntheticModels.create(s)) {
            float[] batch = Logits.all(m, ids);
            float[] steps = Logits.stepwise(m, ids);
            // chunks of 5 (batch boundaries inside the prompt)
            Transformer t = new Transformer(m, KernelsProvider.create(1), 64, 5, null);
            float[] chunked = new float[batch.length];
            t.forward(ids, 0, ids.length, 0, chunked);
            double d1 = Logits.maxAbsDiff(batch, steps), d2 = Logits.maxAbsDiff(batch, chunked);
            System.out.printf("prefill %-8s max|Δlogit| batch-vs-steps %.2e batch-vs-chunks %.2e%n", name, d1, d2);
            assertThat(d1).isLessThanOrEqualTo(1e-5);
            assertThat(d2).isLessThanOrEqualTo(1e-5);
            // the last-token fast path equals the all-logits path
            Transformer t2 = new Transformer(m, KernelsProvider.create(1), 64, 32, null);
            float[] last = t2.forward(ids, 0, ids.length, 0).clone();
            int v = m.config().vocabSize();
            float[] tail = java.util.Arrays.copyOfRange(batch, (ids.length - 1) * v, ids.length * v);
            assertThat(Logits.maxAbsDiff(last, tail)).isLessThanOrEqualTo(1e-5);
        }
    }
}
