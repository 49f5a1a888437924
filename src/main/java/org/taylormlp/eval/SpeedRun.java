package org.taylormlp.eval;

import org.taylormlp.nn.Transformer;
import org.taylormlp.runtime.Progress;

/**
 * Prefill and decode tokens/s of both models, measured in alternation (original, release, original, ...) after a
 * warm-up so that machine load affects both alike.
 */
final class SpeedRun {
    private SpeedRun() {}

    static EvalReport.SpeedResult measure(Transformer ta, Transformer tb, int promptTokens, int genTokens, int repetitions, int ctx) {
        int p = Math.max(1, Math.min(promptTokens, ctx));
        int g = Math.max(1, Math.min(genTokens, ctx));
        int vocab = ta.config().vocabSize();
        int reps = Math.max(1, repetitions);
        double[] pa = new double[reps], pb = new double[reps], ga = new double[reps], gb = new double[reps];
        Speed.prefillSeconds(ta, Speed.randomTokens(p, vocab, 1));
        Speed.prefillSeconds(tb, Speed.randomTokens(p, vocab, 1));
        Speed.decodeSeconds(ta, Speed.randomTokens(Math.min(g, 16), vocab, 2));
        Speed.decodeSeconds(tb, Speed.randomTokens(Math.min(g, 16), vocab, 2));
        try (Progress bar = Progress.start("speed", reps)) {
            for (int r = 0; r < reps; r++) {
                int[] pt = Speed.randomTokens(p, vocab, 100 + r), gt = Speed.randomTokens(g, vocab, 200 + r);
                pa[r] = p / Speed.prefillSeconds(ta, pt);
                pb[r] = p / Speed.prefillSeconds(tb, pt);
                ga[r] = g / Speed.decodeSeconds(ta, gt);
                gb[r] = g / Speed.decodeSeconds(tb, gt);
                bar.stepTo(r + 1);
            }
        }
        return new EvalReport.SpeedResult(p, g, reps, tps(pa), tps(pb), tps(ga), tps(gb), ta.weightBytesPerToken(),
                tb.weightBytesPerToken());
    }

    private static EvalReport.Tps tps(double[] samples) {
        Speed.Stats s = Speed.Stats.of(samples);
        double best = Double.NEGATIVE_INFINITY;
        for (double v : samples) best = Math.max(best, v);
        return new EvalReport.Tps(s.median(), s.mean(), s.sd(), best);
    }
}
