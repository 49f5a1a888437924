package org.taylormlp.eval;

import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;
import org.taylormlp.nn.Transformer;
import org.taylormlp.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * Fidelity of one model (a release) to another (the original) on the same token sequences.
 *
 * <h2>Teacher forcing and perplexity windows</h2>
 * The evaluation text is one token stream (documents, each starting with BOS, concatenated). Like llama.cpp's
 * {@code llama-perplexity}, the stream is cut into consecutive, non-overlapping windows of {@code ctx} tokens
 * (stride = ctx; a tail shorter than a window is dropped, unless the whole stream is shorter than one window, in
 * which case it is one window); the first token of every window is replaced by BOS; each window is run from
 * position 0; and only the second half of each window is scored: the logits at positions
 * {@code first = ctx/2 .. ctx-2} predict the tokens at {@code first+1 .. ctx-1}, so every scored token has at least
 * ctx/2 tokens of context. Argmax agreement, KL(original‖release) and |logit difference| are taken at exactly the
 * scored positions, so all teacher-forced numbers describe the same positions.
 */
public final class Fidelity {
    private Fidelity() {}

    /**
     * Teacher-forced comparison results.
     *
     * @param positions   scored positions (each predicts one next token)
     * @param agreement   fraction of positions where the argmax tokens agree
     * @param klMean      mean KL(original ‖ release) per position, in nats
     * @param klMax       largest per-position KL
     * @param maxAbsLogit largest |logit difference| anywhere at a scored position
     * @param nllOriginal summed negative log-likelihood of the next tokens under the original (natural log)
     * @param nllRelease  same under the release
     */
    public record TeacherForced(long positions, double agreement, double klMean, double klMax, double maxAbsLogit,
                                double nllOriginal, double nllRelease) {
        public double perplexityOriginal() { return Math.exp(nllOriginal / positions); }
        public double perplexityRelease() { return Math.exp(nllRelease / positions); }
    }

    /**
     * Accumulates per-position comparisons of two logit rows (usable on logits from any source: tests feed them
     * directly).
     */
    public static final class Accumulator {
        private final int vocab;
        private final double[] pa, pb;
        private long positions, agree;
        private double klSum, klMax, maxAbs, nllA, nllB;

        public Accumulator(int vocab) {
            this.vocab = vocab;
            this.pa = new double[vocab];
            this.pb = new double[vocab];
        }

        /** Compares row a[ao .. ao+vocab) with b[bo .. bo+vocab); {@code target} is the true next token. */
        public void add(float[] a, int ao, float[] b, int bo, int target) {
            int argA = 0, argB = 0;
            for (int v = 1; v < vocab; v++) {
                if (a[ao + v] > a[ao + argA]) argA = v;
                if (b[bo + v] > b[bo + argB]) argB = v;
            }
            double md = 0;
            for (int v = 0; v < vocab; v++) {
                double d = Math.abs(a[ao + v] - b[bo + v]);
                if (!(d <= md)) md = d; // NaN propagates
            }
            if (!(md <= maxAbs)) maxAbs = md;
            logSoftmax(a, ao, vocab, pa);
            logSoftmax(b, bo, vocab, pb);
            double kl = 0;
            for (int v = 0; v < vocab; v++) {
                double p = Math.exp(pa[v]);
                if (p > 0) kl += p * (pa[v] - pb[v]);
            }
            if (!Double.isNaN(kl)) kl = Math.max(0, kl);
            klSum += kl;
            if (!(kl <= klMax)) klMax = kl;
            if (argA == argB) agree++;
            positions++;
            nllA -= pa[target];
            nllB -= pb[target];
        }

        public void addAll(Accumulator o) {
            positions += o.positions;
            agree += o.agree;
            klSum += o.klSum;
            klMax = Math.max(klMax, o.klMax);
            maxAbs = Math.max(maxAbs, o.maxAbs);
            nllA += o.nllA;
            nllB += o.nllB;
        }

        public TeacherForced result() {
            return new TeacherForced(positions, positions == 0 ? Double.NaN : (double) agree / positions,
                    positions == 0 ? Double.NaN : klSum / positions, klMax, maxAbs, nllA, nllB);
        }
    }

    /** One perplexity window: tokens [start, start+length) of the stream; positions from {@code first} are scored. */
    public record Window(int start, int length, int first) {
        public int scored() { return Math.max(0, length - 1 - first); }
    }

    /** The llama-perplexity windows over a stream of {@code total} tokens (see the class comment). */
    public static List<Window> windows(int total, int ctx) {
        if (ctx < 2) throw new IllegalArgumentException("window must be at least 2 tokens, got " + ctx);
        List<Window> out = new ArrayList<>();
        if (total < 2) return out;
        if (total < ctx) {
            out.add(new Window(0, total, total / 2));
            return out;
        }
        for (int s = 0; s + ctx <= total; s += ctx) out.add(new Window(s, ctx, ctx / 2));
        return out;
    }

    /**
     * Teacher-forced comparison over the windows of {@code stream}.
     *
     * @param progress  receives the number of stream tokens processed so far (may be null)
     * @param cancelled polled between windows; when true the loop stops early (may be null)
     */
    public static TeacherForced teacherForced(Transformer original, Transformer release, int[] stream, int ctx, int bos,
                                              LongConsumer progress, BooleanSupplier cancelled) {
        int vocab = original.config().vocabSize();
        if (release.config().vocabSize() != vocab) throw new IllegalArgumentException("vocabulary sizes differ");
        int c = Math.min(ctx, Math.min(original.maxContext(), release.maxContext()));
        Accumulator acc = new Accumulator(vocab);
        float[] a = new float[c * vocab], b = new float[c * vocab];
        long done = 0;
        for (Window w : windows(stream.length, c)) {
            if (cancelled != null && cancelled.getAsBoolean()) break;
            int[] toks = Arrays.copyOfRange(stream, w.start(), w.start() + w.length());
            if (bos >= 0) toks[0] = bos;
            original.forward(toks, 0, toks.length, 0, a);
            release.forward(toks, 0, toks.length, 0, b);
            for (int i = w.first(); i < toks.length - 1; i++) acc.add(a, i * vocab, b, i * vocab, toks[i + 1]);
            done += w.length();
            if (progress != null) progress.accept(done);
        }
        return acc.result();
    }

    /**
     * Teacher-forced comparison over whole sequences (each run from position 0, every position scored, cut at the
     * context); kept for callers that hold sequences rather than a stream.
     */
    public static TeacherForced teacherForced(Transformer original, Transformer release, List<int[]> sequences,
                                              LongConsumer progress) {
        int vocab = original.config().vocabSize();
        if (release.config().vocabSize() != vocab) throw new IllegalArgumentException("vocabulary sizes differ");
        int ctx = Math.min(original.maxContext(), release.maxContext());
        Accumulator acc = new Accumulator(vocab);
        long done = 0;
        for (int[] seq : sequences) {
            int n = Math.min(seq.length, ctx);
            float[] a = new float[n * vocab], b = new float[n * vocab];
            original.forward(seq, 0, n, 0, a);
            release.forward(seq, 0, n, 0, b);
            for (int i = 0; i + 1 < n; i++) acc.add(a, i * vocab, b, i * vocab, seq[i + 1]);
            done += n;
            if (progress != null) progress.accept(done);
        }
        return acc.result();
    }

    /** Fills {@code out} with log-softmax of x[off .. off+n); returns the log-partition. */
    public static double logSoftmax(float[] x, int off, int n, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(x[off + i] - max);
        double lz = max + Math.log(s);
        for (int i = 0; i < n; i++) out[i] = x[off + i] - lz;
        return lz;
    }

    /** log p(target) from a logit row. */
    public static double logProb(float[] x, int off, int n, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(x[off + i] - max);
        return x[off + target] - (max + Math.log(s));
    }

    /**
     * Greedy continuations from each prompt: how many match exactly, and where each first diverges
     * (-1 = identical; otherwise the index of the first differing generated token, counting a shorter
     * continuation that stopped early as diverging where it stopped).
     */
    public record Greedy(int prompts, int identical, int tokens, int[] firstDivergence) {
        public double matchRate() { return prompts == 0 ? Double.NaN : (double) identical / prompts; }
    }

    public static Greedy greedy(Transformer original, Transformer release, Tokenizer tok, List<int[]> prompts, int tokens) {
        return greedy(original, release, tok, prompts, tokens, null);
    }

    public static Greedy greedy(Transformer original, Transformer release, Tokenizer tok, List<int[]> prompts, int tokens,
                                LongConsumer progress) {
        int identical = 0;
        int[] first = new int[prompts.size()];
        for (int p = 0; p < prompts.size(); p++) {
            int[] a = new Generator(original, tok).generate(prompts.get(p), tokens, Sampler.greedy(), null).tokens();
            int[] b = new Generator(release, tok).generate(prompts.get(p), tokens, Sampler.greedy(), null).tokens();
            int d = Arrays.mismatch(a, b);
            first[p] = d;
            if (d < 0) identical++;
            if (progress != null) progress.accept(p + 1);
        }
        return new Greedy(prompts.size(), identical, tokens, first);
    }
}
