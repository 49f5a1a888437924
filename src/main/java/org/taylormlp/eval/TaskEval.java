package org.taylormlp.eval;

import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;
import org.taylormlp.nn.Transformer;
import org.taylormlp.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * Scores tasks on two models (original and release) with identical token sequences.
 *
 * <p>Multiple choice: each choice's score is the summed log-probability of its continuation tokens given the prompt
 * (lm-evaluation-harness "acc"); the prediction is the highest-scoring choice (ties: the lowest index). The
 * continuation is what follows the longest common prefix of {@code encode(prompt)} and
 * {@code encode(prompt + choice)} (both with BOS). Sequences longer than the context lose prompt tokens from the
 * left (right after BOS), the same tokens for every choice of an item.
 */
public final class TaskEval {
    private TaskEval() {}

    /** Token form of a multiple-choice item: per choice the whole sequence and where its continuation starts. */
    public record Encoded(int[][] seqs, int[] contStart) {}

    /** Scores each choice of an encoded item (higher = more likely). */
    @FunctionalInterface
    public interface Scorer {
        double[] score(Encoded e);
    }

    public static Encoded encode(Tokenizer tok, TaskData.McItem item, int maxContext) {
        int[] ctx = tok.encode(item.prompt(), true);
        int k = item.choices().size();
        int[][] seqs = new int[k][];
        int[] start = new int[k];
        int maxLen = 0, minStart = Integer.MAX_VALUE;
        for (int i = 0; i < k; i++) {
            int[] w = tok.encode(item.prompt() + item.choices().get(i), true);
            int m = Arrays.mismatch(ctx, w);
            int s = m < 0 ? ctx.length : m;
            s = Math.max(1, Math.min(s, w.length - 1));
            seqs[i] = w;
            start[i] = s;
            maxLen = Math.max(maxLen, w.length);
            minStart = Math.min(minStart, s);
        }
        int drop = Math.max(0, Math.min(maxLen - maxContext, minStart - 1));
        for (int i = 0; i < k; i++) {
            int[] w = seqs[i];
            if (drop > 0) {
                int[] t = new int[w.length - drop];
                t[0] = w[0];
                System.arraycopy(w, 1 + drop, t, 1, w.length - 1 - drop);
                w = t;
                start[i] -= drop;
            }
            if (w.length > maxContext) w = Arrays.copyOf(w, maxContext); // continuation itself too long: cut its tail
            seqs[i] = w;
            start[i] = Math.min(start[i], w.length - 1);
        }
        return new Encoded(seqs, start);
    }

    /**
     * Log-likelihood scorer on a transformer: the shared prefix of all choices runs once, each choice's remainder
     * continues from it (the KV cache rows past the prefix are overwritten per choice).
     */
    public static Scorer scorer(Transformer t) {
        int vocab = t.config().vocabSize();
        return e -> {
            int k = e.seqs().length;
            int p = Integer.MAX_VALUE;
            for (int i = 0; i < k; i++) {
                p = Math.min(p, e.contStart()[i]);
                if (i > 0) {
                    int m = Arrays.mismatch(e.seqs()[0], e.seqs()[i]);
                    if (m >= 0) p = Math.min(p, m);
                }
            }
            p = Math.max(1, p);
            float[] prefixLast = t.forward(e.seqs()[0], 0, p, 0).clone(); // logits at position p-1
            double[] scores = new double[k];
            for (int i = 0; i < k; i++) {
                int[] s = e.seqs()[i];
                int n = s.length - 1 - p; // tokens p .. len-2 produce the logits we still need
                float[] rows = n > 0 ? new float[n * vocab] : null;
                if (n > 0) t.forward(s, p, n, p, rows);
                double sum = 0;
                for (int j = e.contStart()[i]; j < s.length; j++) {
                    int row = j - 1;
                    sum += row == p - 1 ? Fidelity.logProb(prefixLast, 0, vocab, s[j])
                            : Fidelity.logProb(rows, (row - p) * vocab, vocab, s[j]);
                }
                scores[i] = sum;
            }
            return scores;
        };
    }

    /** Predictions of both models and the gold answers, item by item. */
    public record McResult(int[] predOriginal, int[] predRelease, int[] gold, double chance) {
        public int items() { return gold.length; }
        public double accuracyOriginal() { return frac(predOriginal, gold); }
        public double accuracyRelease() { return frac(predRelease, gold); }
        public double agreement() { return frac(predOriginal, predRelease); }
    }

    static double frac(int[] a, int[] b) {
        if (a.length == 0) return Double.NaN;
        int n = 0;
        for (int i = 0; i < a.length; i++) if (a[i] == b[i]) n++;
        return (double) n / a.length;
    }

    public static int argmax(double[] s) {
        int best = 0;
        for (int i = 1; i < s.length; i++) if (s[i] > s[best]) best = i;
        return best;
    }

    public static McResult multipleChoice(List<TaskData.McItem> items, Tokenizer tok, int maxContext, Scorer original,
                                          Scorer release, LongConsumer progress, BooleanSupplier cancelled) {
        int n = items.size();
        int[] pa = new int[n], pb = new int[n], gold = new int[n];
        double chance = 0;
        int done = 0;
        for (int i = 0; i < n; i++) {
            if (cancelled != null && cancelled.getAsBoolean()) throw new java.util.concurrent.CancellationException();
            TaskData.McItem it = items.get(i);
            Encoded e = encode(tok, it, maxContext);
            pa[i] = argmax(original.score(e));
            pb[i] = argmax(release.score(e));
            gold[i] = it.gold();
            chance += 1.0 / it.choices().size();
            done++;
            if (progress != null) progress.accept(done);
        }
        return new McResult(pa, pb, gold, n == 0 ? Double.NaN : chance / n);
    }

    /** GSM8K answers of both models (null = no number generated) and whether their generated tokens were identical. */
    public record GenResult(String[] answerOriginal, String[] answerRelease, String[] gold, boolean[] identicalText) {
        public int items() { return gold.length; }
        public double accuracyOriginal() { return fracEq(answerOriginal, gold); }
        public double accuracyRelease() { return fracEq(answerRelease, gold); }
        public double agreement() { return fracEq(answerOriginal, answerRelease); }
        public double identicalTextRate() {
            int n = 0;
            for (boolean b : identicalText) if (b) n++;
            return identicalText.length == 0 ? Double.NaN : (double) n / identicalText.length;
        }
    }

    static double fracEq(String[] a, String[] b) {
        if (a.length == 0) return Double.NaN;
        int n = 0;
        for (int i = 0; i < a.length; i++) if (Objects.equals(a[i], b[i])) n++;
        return (double) n / a.length;
    }

    public static GenResult generation(List<TaskData.GenItem> items, Tokenizer tok, Transformer original, Transformer release,
                                       int maxNew, LongConsumer progress, BooleanSupplier cancelled) {
        int n = items.size();
        String[] aa = new String[n], ab = new String[n], gold = new String[n];
        boolean[] same = new boolean[n];
        int ctx = Math.min(original.maxContext(), release.maxContext());
        int gen = Math.max(1, Math.min(maxNew, ctx / 2));
        for (int i = 0; i < n; i++) {
            if (cancelled != null && cancelled.getAsBoolean()) throw new java.util.concurrent.CancellationException();
            int[] p = tok.encode(items.get(i).prompt(), true);
            int room = ctx - gen;
            if (p.length > room) { // keep BOS and the end of the prompt
                int[] t = new int[room];
                t[0] = p[0];
                System.arraycopy(p, p.length - (room - 1), t, 1, room - 1);
                p = t;
            }
            int[] ta = new Generator(original, tok).generate(p, gen, Sampler.greedy(), null).tokens();
            int[] tb = new Generator(release, tok).generate(p, gen, Sampler.greedy(), null).tokens();
            aa[i] = TaskData.extractNumber(tok.decode(ta));
            ab[i] = TaskData.extractNumber(tok.decode(tb));
            same[i] = Arrays.equals(ta, tb);
            gold[i] = items.get(i).gold();
            if (progress != null) progress.accept(i + 1);
        }
        return new GenResult(aa, ab, gold, same);
    }
}
