package org.taylormlp.chat;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.generate.Sampler;
import org.taylormlp.nn.Transformer;
import org.taylormlp.tokenizer.TokenStreamDecoder;
import org.taylormlp.tokenizer.Tokenizer;

import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs completions one after the other on one {@link Transformer}, streaming text as it is decoded and
 * cutting it at stop sequences.
 *
 * <p>With {@code reusePrefix}, the KV cache left by the previous run is kept for the longest common prefix of
 * the old and the new token sequence, so a chat that re-encodes the whole conversation each turn only runs the
 * new tokens through the model. Without it every run starts from position 0 and computes exactly what
 * {@link org.taylormlp.generate.Generator} computes (the same tokens for the same prompt and seed, whatever ran
 * before), which is what a server answering unrelated requests wants.
 *
 * <p>Like the transformer it drives, not thread-safe: one run at a time.
 */
public final class CompletionSession {
    private final Transformer transformer;
    private final Tokenizer tokenizer;
    private final boolean reusePrefix;
    /** Tokens whose keys and values are in the cache at positions 0..cached-1. */
    private final int[] cache;
    private int cached;

    /** What to generate: the prompt, at most {@code maxTokens} tokens, how to sample, where to stop. */
    public record Request(int[] prompt, int maxTokens, Sampler sampler, List<String> stop, boolean ignoreEos) {
        public Request {
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(sampler, "sampler");
            stop = stop == null ? List.of() : List.copyOf(stop);
            if (maxTokens < 0) throw new TaylorMlpException("max tokens must be >= 0, got " + maxTokens);
        }

        public Request(int[] prompt, int maxTokens, Sampler sampler) {
            this(prompt, maxTokens, sampler, List.of(), false);
        }
    }

    /** Why generation ended. */
    public enum Finish {
        /** End-of-generation token or a stop sequence. */
        STOP,
        /** {@code maxTokens} reached, or the end of the context ({@link Result#contextFull()}). */
        LENGTH,
        /** The caller's cancel check said so. */
        CANCELLED
    }

    /**
     * @param text             the generated text, stop sequence excluded
     * @param completionTokens tokens sampled (those that formed a stop sequence included; an end token not)
     * @param reusedTokens     prompt tokens whose cache entries were kept from the previous run
     * @param contextFull      generation ended because the context had no room for another token
     */
    public record Result(String text, int promptTokens, int completionTokens, int reusedTokens, Finish finish,
                         boolean contextFull, long promptNanos, long decodeNanos) {
        public double decodeTokensPerSecond() {
            return completionTokens <= 1 || decodeNanos == 0 ? 0 : (completionTokens - 1) * 1e9 / decodeNanos;
        }

        public double promptTokensPerSecond() {
            int computed = promptTokens - reusedTokens;
            return promptNanos == 0 ? 0 : computed * 1e9 / promptNanos;
        }
    }

    public CompletionSession(Transformer transformer, Tokenizer tokenizer, boolean reusePrefix) {
        this.transformer = transformer;
        this.tokenizer = tokenizer;
        this.reusePrefix = reusePrefix;
        this.cache = new int[transformer.maxContext()];
    }

    public int maxContext() { return transformer.maxContext(); }

    public Tokenizer tokenizer() { return tokenizer; }

    /** Forgets the cached prefix: the next run starts from position 0. */
    public void reset() { cached = 0; }

    /**
     * Generates for {@code request}, handing each piece of final text (never empty) to {@code sink} as soon as
     * it is known. {@code cancelled} is checked before each token.
     *
     * @throws TaylorMlpException if the prompt is empty or longer than the context
     */
    public Result run(Request request, Consumer<String> sink, BooleanSupplier cancelled) {
        int[] prompt = request.prompt();
        int ctx = transformer.maxContext();
        if (prompt.length == 0) throw new TaylorMlpException("empty prompt: at least one token (e.g. BOS) is needed");
        if (prompt.length > ctx) {
            throw new TaylorMlpException("prompt of " + prompt.length + " tokens exceeds the context of " + ctx + " tokens");
        }
        int vocab = transformer.config().vocabSize();
        int reuse = reusePrefix ? Math.min(commonPrefix(prompt), prompt.length - 1) : 0;
        cached = reuse;
        long t0 = System.nanoTime();
        float[] logits = transformer.forward(prompt, reuse, prompt.length - reuse, reuse);
        System.arraycopy(prompt, reuse, cache, reuse, prompt.length - reuse);
        cached = prompt.length;
        long t1 = System.nanoTime();

        TokenStreamDecoder decoder = new TokenStreamDecoder(tokenizer, prompt[prompt.length - 1]);
        StopSequences stops = new StopSequences(request.stop());
        StringBuilder text = new StringBuilder();
        Consumer<String> emit = s -> {
            if (s.isEmpty()) return;
            text.append(s);
            if (sink != null) sink.accept(s);
        };
        int n = 0, pos = prompt.length;
        Finish finish = Finish.LENGTH;
        boolean contextFull = false;
        Sampler sampler = request.sampler();
        while (n < request.maxTokens()) {
            if (cancelled != null && cancelled.getAsBoolean()) {
                finish = Finish.CANCELLED;
                break;
            }
            int next = sampler.sample(logits, vocab);
            if (!request.ignoreEos() && (tokenizer.isEndOfGeneration(next) || next == tokenizer.bosId())) {
                finish = Finish.STOP;
                break;
            }
            n++;
            emit.accept(stops.accept(decoder.accept(next)));
            if (stops.stopped()) {
                finish = Finish.STOP;
                break;
            }
            if (n == request.maxTokens()) break;
            if (pos >= ctx) {
                contextFull = true;
                break;
            }
            logits = transformer.forward(next, pos);
            cache[pos] = next;
            cached = ++pos;
        }
        if (finish != Finish.CANCELLED && !stops.stopped()) {
            emit.accept(stops.accept(decoder.flush()));
            if (stops.stopped()) finish = Finish.STOP;
            else emit.accept(stops.flush());
        }
        long t2 = System.nanoTime();
        return new Result(text.toString(), prompt.length, n, reuse, finish, contextFull, t1 - t0, t2 - t1);
    }

    private int commonPrefix(int[] prompt) {
        int n = Math.min(cached, prompt.length), i = 0;
        while (i < n && cache[i] == prompt[i]) i++;
        return i;
    }
}
