package org.taylormlp.eval;

import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;
import org.taylormlp.nn.Transformer;
import org.taylormlp.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.function.LongConsumer;

/** Fidelity of one model (a release) to another (the original) on the same token sequences. */
public final class Fidelity {
    private Fidelity() {}

    /**
     * Teacher-forced comparison: both models read the same tokens; at each position the next-token distributions
     * are compared.
     *
     * @param agreement   fraction of positions where the argmax tokens agree
     * @param klMean      mean KL(original ‖ release) per position, in nats
     * @param klMax       largest per-position KL
     * @param maxAbsLogit largest |logit difference| anywhere
     * @param nllOriginal summed negative log-likelihood of the next tokens under the original (for perplexity)
     * @param nllRelease  same under the release
     */
    public record TeacherForced(long positions, double agreement, double klMean, double klMax, double maxAbsLogit,
                                double nllOriginal, double nllRelease, long predicted) {
        public double perplexityOriginal() { return Math.exp(nllOriginal / predicted); }
        public double perplexityRelease() { return Math.exp(nllRelease / predicted); }
    }

    public static TeacherForced teacherForced(Transformer original, Transformer release, List<int[]> sequences,
                                              LongConsumer progress) {
        int vocab = original.config().vocabSize();
        if (release.config().vocabSize() != vocab) throw new IllegalArgumentException("vocabulary sizes differ");
        long positions = 0, agree = 0, predicted = 0;
        double klSum = 0, klMax = 0, maxAbs = 0, nllA = 0, nllB = 0;
        int ctx = Math.min(original.maxContext(), release.maxContext());
        for (int[] seq : sequences) {
            int n = Math.min(seq.length, ctx);
            float[] a = new float[n * vocab], b = new float[n * vocab];
            original.forward(seq, 0, n, 0, a);
            release.forward(seq, 0, n, 0, b);
            double[] pa = new double[vocab], pb = new double[vocab];
            for (int i = 0; i < n; i++) {
                int o = i * vocab;
                int argA = 0, argB = 0;
                for (int v = 1; v < vocab; v++) {
                    if (a[o + v] > a[o + argA]) argA = v;
                    if (b[o + v] > b[o + argB]) argB = v;
                }
                for (int v = 0; v < vocab; v++) maxAbs = Math.max(maxAbs, Math.abs(a[o + v] - b[o + v]));
                double lzA = logSoftmax(a, o, vocab, pa), lzB = logSoftmax(b, o, vocab, pb);
                double kl = 0;
                for (int v = 0; v < vocab; v++) {
                    double p = Math.exp(pa[v]);
                    if (p > 0) kl += p * (pa[v] - pb[v]);
                }
                kl = Math.max(0, kl);
                klSum += kl;
                klMax = Math.max(klMax, kl);
                if (argA == argB) agree++;
                positions++;
                if (i + 1 < n) {
                    nllA -= pa[seq[i + 1]];
                    nllB -= pb[seq[i + 1]];
                    predicted++;
                }
                if (Double.isNaN(lzA + lzB)) maxAbs = Double.NaN;
            }
            if (progress != null) progress.accept(positions);
        }
        return new TeacherForced(positions, positions == 0 ? Double.NaN : (double) agree / positions,
                positions == 0 ? Double.NaN : klSum / positions, klMax, maxAbs, nllA, nllB, predicted);
    }

    /** Fills {@code out} with log-softmax of x[off .. off+n); returns the log-partition. */
    static double logSoftmax(float[] x, int off, int n, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(x[off + i] - max);
        double lz = max + Math.log(s);
        for (int i = 0; i < n; i++) out[i] = x[off + i] - lz;
        return lz;
    }

    /** Greedy continuations from each prompt: how many match exactly, and where each first diverges. */
    public record Greedy(int prompts, int identical, int[] firstDivergence) {
        public double matchRate() { return prompts == 0 ? Double.NaN : (double) identical / prompts; }
    }

    public static Greedy greedy(Transformer original, Transformer release, Tokenizer tok, List<int[]> prompts, int tokens) {
        int identical = 0;
        int[] first = new int[prompts.size()];
        for (int p = 0; p < prompts.size(); p++) {
            int[] a = new Generator(original, tok).generate(prompts.get(p), tokens, Sampler.greedy(), null).tokens();
            int[] b = new Generator(release, tok).generate(prompts.get(p), tokens, Sampler.greedy(), null).tokens();
            int d = Arrays.mismatch(a, b);
            first[p] = d < 0 ? -1 : d;
            if (d < 0) identical++;
        }
        return new Greedy(prompts.size(), identical, first);
    }
}
