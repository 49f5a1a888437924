package org.taylormlp.convert;

import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.model.Model;
import org.taylormlp.nn.Transformer;
import org.taylormlp.tensor.KernelsProvider;

/** Test helpers: all-position logits of a model for a fixed token sequence. */
final class Logits {
    private Logits() {}

    /** 12 ids valid for every synthetic vocabulary (≥ 300 tokens), starting with a plausible prompt. */
    static int[] sequence(SyntheticModels.Spec s) {
        int[] base = s.vocab() == SyntheticModels.VocabKind.TOK512 ? new int[]{1, 403, 407, 261} : new int[]{300, 310, 320, 290};
        int[] out = new int[12];
        System.arraycopy(base, 0, out, 0, 4);
        for (int i = 4; i < out.length; i++) out[i] = 3 + (i * 37) % 250;
        return out;
    }

    /** logits of every position ({@code n × vocab}), the prompt processed in one batch. */
    static float[] all(Model m, int[] ids) {
        Transformer t = new Transformer(m, KernelsProvider.create(1), 64, 32, null);
        float[] out = new float[ids.length * m.config().vocabSize()];
        t.forward(ids, 0, ids.length, 0, out);
        return out;
    }

    /** logits of every position, one token at a time. */
    static float[] stepwise(Model m, int[] ids) {
        Transformer t = new Transformer(m, KernelsProvider.create(1), 64, 32, null);
        int v = m.config().vocabSize();
        float[] out = new float[ids.length * v];
        for (int i = 0; i < ids.length; i++) System.arraycopy(t.forward(ids[i], i), 0, out, i * v, v);
        return out;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new AssertionError("lengths " + a.length + " vs " + b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
