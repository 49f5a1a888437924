package org.taylormlp.eval;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.taylormlp.TestFiles;
import org.taylormlp.runtime.Engine;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.nn.FeedForward;
import org.taylormlp.nn.Transformer;
import org.taylormlp.tensor.Kernels;
import org.taylormlp.tensor.KernelsProvider;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class FidelityTest {
    static Model model;
    static Kernels kernels;
    static int[] stream;

    @BeforeAll
    static void load() {
        model = org.taylormlp.runtime.Models.load(TestFiles.smallModel(), TestFiles.smallTokenizer());
        kernels = KernelsProvider.create(1);
        var tok = model.tokenizer();
        int[] a = tok.encode("Once upon a time, there was a little girl named Lily. She loved to play outside in the sun.", true);
        int[] b = tok.encode("One day, a big dog came to the park. The dog was very happy and wanted to play with Tim.", true);
        stream = new int[a.length * 3 + b.length * 3];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(a, 0, stream, i * (a.length + b.length), a.length);
            System.arraycopy(b, 0, stream, i * (a.length + b.length) + a.length, b.length);
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    // ---------------------------------------------------------------- logits fed directly

    @Test
    void identicalLogitsAgreeWithZeroKl() {
        int vocab = 50;
        float[] x = randomRow(vocab, 1);
        Fidelity.Accumulator acc = new Fidelity.Accumulator(vocab);
        for (int t = 0; t < 10; t++) acc.add(x, 0, x.clone(), 0, t);
        Fidelity.TeacherForced r = acc.result();
        assertThat(r.positions()).isEqualTo(10);
        assertThat(r.agreement()).isEqualTo(1.0);
        assertThat(r.klMean()).isEqualTo(0.0);
        assertThat(r.klMax()).isEqualTo(0.0);
        assertThat(r.maxAbsLogit()).isEqualTo(0.0);
        assertThat(r.perplexityRelease()).isEqualTo(r.perplexityOriginal());
    }

    @Test
    void uniformLogitsHavePerplexityEqualToVocabularySize() {
        for (int vocab : new int[]{2, 7, 512, 32000}) {
            float[] zeros = new float[vocab];
            float[] shifted = new float[vocab];
            java.util.Arrays.fill(shifted, 3.25f); // softmax is shift-invariant: still uniform
            Fidelity.Accumulator acc = new Fidelity.Accumulator(vocab);
            for (int t = 0; t < 5; t++) acc.add(zeros, 0, shifted, 0, (t * 31) % vocab);
            Fidelity.TeacherForced r = acc.result();
            assertThat(r.perplexityOriginal()).isCloseTo(vocab, within(1e-9 * vocab));
            assertThat(r.perplexityRelease()).isCloseTo(vocab, within(1e-6 * vocab));
            assertThat(r.klMean()).isCloseTo(0.0, within(1e-12));
            assertThat(r.maxAbsLogit()).isEqualTo(3.25);
        }
    }

    @Test
    void klHasTheTextbookValue() {
        // p = (1/2, 1/2), q = (1/4, 3/4): KL(p||q) = 1/2 ln 2 + 1/2 ln(2/3)
        float[] p = {0f, 0f};
        float[] q = {0f, (float) Math.log(3)};
        Fidelity.Accumulator acc = new Fidelity.Accumulator(2);
        acc.add(p, 0, q, 0, 0);
        double expected = 0.5 * Math.log(2) + 0.5 * Math.log(2.0 / 3);
        assertThat(acc.result().klMean()).isCloseTo(expected, within(1e-7));
        assertThat(acc.result().nllRelease()).isCloseTo(Math.log(4), within(1e-6));
        assertThat(acc.result().agreement()).isEqualTo(0.0); // argmax: 0 (a tie, the first wins) vs 1
    }

    @Test
    void perturbedLogitsMoveTheMetrics() {
        int vocab = 100;
        Fidelity.Accumulator same = new Fidelity.Accumulator(vocab), small = new Fidelity.Accumulator(vocab),
                big = new Fidelity.Accumulator(vocab);
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 200; i++) {
            float[] a = randomRow(vocab, i);
            float[] s = a.clone(), b = a.clone();
            for (int v = 0; v < vocab; v++) {
                s[v] += (float) (1e-3 * r.nextGaussian());
                b[v] += (float) (2.0 * r.nextGaussian());
            }
            same.add(a, 0, a, 0, i % vocab);
            small.add(a, 0, s, 0, i % vocab);
            big.add(a, 0, b, 0, i % vocab);
        }
        var r0 = same.result();
        var r1 = small.result();
        var r2 = big.result();
        assertThat(r1.klMean()).isGreaterThan(r0.klMean());
        assertThat(r2.klMean()).isGreaterThan(r1.klMean() * 100);
        assertThat(r1.maxAbsLogit()).isGreaterThan(0).isLessThan(0.01);
        assertThat(r2.agreement()).isLessThan(0.9);
        assertThat(r1.agreement()).isGreaterThan(r2.agreement());
        assertThat(r2.perplexityRelease()).isNotCloseTo(r2.perplexityOriginal(), within(1e-3));
    }

    @Test
    void windowsFollowLlamaPerplexity() {
        List<Fidelity.Window> w = Fidelity.windows(1000, 256);
        assertThat(w).hasSize(3); // the 232-token tail is dropped
        assertThat(w.get(1)).isEqualTo(new Fidelity.Window(256, 256, 128));
        assertThat(w.get(0).scored()).isEqualTo(127);
        assertThat(Fidelity.windows(100, 256)).containsExactly(new Fidelity.Window(0, 100, 50));
        assertThat(Fidelity.windows(1, 256)).isEmpty();
        assertThat(Fidelity.windows(512, 256)).hasSize(2);
    }

    // ---------------------------------------------------------------- a real model

    @Test
    void aModelComparedWithItselfAgreesExactly() {
        Transformer a = new Transformer(model, kernels, 512), b = new Transformer(model, kernels, 512);
        Fidelity.TeacherForced r = Fidelity.teacherForced(a, b, stream, 64, model.tokenizer().bosId(), null, null);
        assertThat(r.positions()).isEqualTo((long) (stream.length / 64) * 31);
        assertThat(r.agreement()).isEqualTo(1.0);
        assertThat(r.klMean()).isEqualTo(0.0);
        assertThat(r.maxAbsLogit()).isEqualTo(0.0);
        assertThat(r.perplexityOriginal()).isEqualTo(r.perplexityRelease()).isGreaterThan(1.0).isLessThan(512);
        var g = Fidelity.greedy(a, b, model.tokenizer(), List.of(java.util.Arrays.copyOf(stream, 5)), 20, null);
        assertThat(g.matchRate()).isEqualTo(1.0);
        assertThat(g.firstDivergence()).containsExactly(-1);
    }

    @Test
    void aPerturbedModelMovesEveryMetric() {
        Transformer a = new Transformer(model, kernels, 512);
        Transformer slightly = new Transformer(model, kernels, 512, 32, l -> scaled(l, 1.001f));
        Transformer badly = new Transformer(model, kernels, 512, 32, l -> scaled(l, l == 0 ? -3f : 1f));
        int bos = model.tokenizer().bosId();
        var r1 = Fidelity.teacherForced(a, slightly, stream, 64, bos, null, null);
        var r2 = Fidelity.teacherForced(a, badly, stream, 64, bos, null, null);
        assertThat(r1.klMean()).isGreaterThan(0);
        assertThat(r1.maxAbsLogit()).isGreaterThan(0);
        assertThat(r2.klMean()).isGreaterThan(r1.klMean() * 10);
        assertThat(r2.agreement()).isLessThan(1.0);
        assertThat(r2.perplexityRelease()).isGreaterThan(r2.perplexityOriginal());
        var g = Fidelity.greedy(a, badly, model.tokenizer(), List.of(java.util.Arrays.copyOf(stream, 5)), 40, null);
        assertThat(g.identical()).isZero();
        assertThat(g.firstDivergence()[0]).isBetween(0, 39);
    }

    private static FeedForward scaled(int layer, float factor) {
        FeedForward d = Transformer.denseFeedForward(model, layer, kernels);
        return new FeedForward() {
            @Override
            public void forward(float[] x, float[] out, int batch) {
                d.forward(x, out, batch);
                for (int i = 0; i < batch * model.config().dim(); i++) out[i] *= factor;
            }

            @Override
            public long weightBytes() { return d.weightBytes(); }
        };
    }

    private static float[] randomRow(int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[vocab];
        for (int v = 0; v < vocab; v++) x[v] = (float) (3 * r.nextGaussian());
        return x;
    }
}
