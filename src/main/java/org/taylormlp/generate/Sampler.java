package org.taylormlp.generate;

import org.taylormlp.TaylorMlpException;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy when temperature is 0, otherwise softmax at the temperature,
 * restricted to the top-k tokens and to the smallest set whose probability reaches top-p. The random source
 * is seeded, so the same seed gives the same tokens.
 */
public final class Sampler {
    private final float temperature;
    private final float topP;
    private final int topK;
    private final SplittableRandom random;
    private Integer[] order = new Integer[0];
    private float[] probs = new float[0];

    public Sampler(float temperature, float topP, int topK, long seed) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new TaylorMlpException("temperature must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new TaylorMlpException("top-p must be in (0, 1], got " + topP);
        if (topK < 0) throw new TaylorMlpException("top-k must be >= 0, got " + topK);
        this.temperature = temperature;
        this.topP = topP;
        this.topK = topK;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0f, 1f, 0, 0);
    }

    public boolean isGreedy() { return temperature == 0f; }

    /** A NaN or infinite logit: the model's arithmetic broke down (typically NaN/Inf weights). */
    public static final class NonFiniteLogitException extends TaylorMlpException {
        public NonFiniteLogitException(String message) { super(message); }
    }

    /** Throws {@link NonFiniteLogitException} naming the first non-finite logit among the first {@code n}. */
    public static void checkFinite(float[] logits, int n) {
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(logits[i])) {
                throw new NonFiniteLogitException("the model produced a non-finite logit (" + logits[i] + " for token id "
                        + i + "); its weights are likely damaged (NaN or Inf values)");
            }
        }
    }

    public static int argmax(float[] logits, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /**
     * The next token.
     *
     * @throws NonFiniteLogitException if a logit is NaN or infinite (damaged weights, e.g. NaN/Inf in a model file):
     *                                 sampling from such logits would print garbage instead of failing
     */
    public int sample(float[] logits, int n) {
        checkFinite(logits, n);
        if (temperature == 0f) return argmax(logits, n);
        if (probs.length < n) {
            probs = new float[n];
            order = new Integer[n];
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            probs[i] = (float) Math.exp((logits[i] - max) / temperature);
            sum += probs[i];
        }
        for (int i = 0; i < n; i++) {
            probs[i] /= (float) sum;
            order[i] = i;
        }
        int limit = n;
        if (topK > 0 || topP < 1f) {
            final float[] p = probs;
            Arrays.sort(order, 0, n, (a, b) -> Float.compare(p[b], p[a]) != 0 ? Float.compare(p[b], p[a]) : Integer.compare(a, b));
            if (topK > 0) limit = Math.min(limit, topK);
            if (topP < 1f) {
                double cum = 0;
                for (int i = 0; i < limit; i++) {
                    cum += probs[order[i]];
                    if (cum >= topP) {
                        limit = i + 1;
                        break;
                    }
                }
            }
        }
        double total = 0;
        for (int i = 0; i < limit; i++) total += probs[order[i]];
        double r = random.nextDouble() * total, cum = 0;
        for (int i = 0; i < limit; i++) {
            cum += probs[order[i]];
            if (r < cum) return order[i];
        }
        return order[limit - 1];
    }
}
