package org.taylormlp.generate;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.nn.Transformer;
import org.taylormlp.tokenizer.Tokenizer;

import java.util.Arrays;

/** Runs prompt processing and the decode loop, streaming each new token to a listener. */
public final class Generator {
    private final Transformer transformer;
    private final Tokenizer tokenizer;

    public Generator(Transformer transformer, Tokenizer tokenizer) {
        this.transformer = transformer;
        this.tokenizer = tokenizer;
    }

    /** Called for every generated token; return false to stop. */
    @FunctionalInterface
    public interface TokenListener {
        boolean onToken(int previous, int token);
    }

    /** What a generation produced and how fast. */
    public record Result(int[] promptTokens, int[] tokens, long promptNanos, long decodeNanos, String stopReason) {
        public double decodeTokensPerSecond() {
            return tokens.length <= 1 || decodeNanos == 0 ? 0 : (tokens.length - 1) * 1e9 / decodeNanos;
        }

        public double promptTokensPerSecond() {
            return promptNanos == 0 ? 0 : promptTokens.length * 1e9 / promptNanos;
        }
    }

    /**
     * Generates up to {@code maxTokens} tokens after {@code prompt} (which must be non-empty). Stops at EOS,
     * at BOS (llama2.c convention), when the listener returns false, or at the end of the context.
     */
    public Result generate(int[] prompt, int maxTokens, Sampler sampler, TokenListener listener) {
        if (prompt.length == 0) throw new TaylorMlpException("empty prompt: at least one token (e.g. BOS) is needed");
        if (maxTokens < 0) throw new TaylorMlpException("number of tokens must be >= 0, got " + maxTokens);
        int ctx = transformer.maxContext();
        if (prompt.length > ctx) throw new TaylorMlpException("prompt of " + prompt.length + " tokens exceeds the context of " + ctx);
        int vocab = transformer.config().vocabSize();
        long t0 = System.nanoTime();
        float[] logits = transformer.forward(prompt, 0, prompt.length, 0);
        long t1 = System.nanoTime();
        int[] out = new int[Math.max(0, maxTokens)];
        int n = 0, pos = prompt.length, prev = prompt[prompt.length - 1];
        String reason = "length";
        while (n < maxTokens) {
            int next = sampler.sample(logits, vocab);
            if (tokenizer.isEndOfGeneration(next) || next == tokenizer.bosId()) {
                reason = "stop";
                break;
            }
            out[n++] = next;
            if (listener != null && !listener.onToken(prev, next)) {
                reason = "stop";
                break;
            }
            prev = next;
            if (n == maxTokens) break;
            if (pos >= ctx) {
                reason = "context";
                break;
            }
            logits = transformer.forward(next, pos++);
        }
        long t2 = System.nanoTime();
        return new Result(prompt, Arrays.copyOf(out, n), t1 - t0, t2 - t1, reason);
    }
}
