package org.taylormlp.api;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.runtime.Engine;
import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.taylor.ReleaseReader;
import org.taylormlp.tokenizer.TokenStreamDecoder;
import org.taylormlp.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * A model or release opened for generation. Not thread-safe: one generation at a time per instance (the KV
 * cache is the instance's). Close it to unmap the weights.
 *
 * <pre>{@code
 * try (TaylorModel m = TaylorModel.open(Path.of("stories15M.bin"))) {
 *     Completion c = m.generate("Once upon a time", GenerationOptions.greedy(32));
 *     System.out.println(c.text());
 * }
 * }</pre>
 */
public final class TaylorModel implements AutoCloseable {
    /** Where to find the tokenizer (null: beside or inside the model), how many threads, how long a context. */
    public record OpenOptions(Path tokenizer, int threads, int maxContext) {
        public OpenOptions {
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            if (maxContext < 1) throw new IllegalArgumentException("maxContext must be >= 1, got " + maxContext);
        }

        /** The tokenizer beside or inside the model, all available cores, a context of up to 2048 tokens. */
        public static OpenOptions defaults() {
            return new OpenOptions(null, Math.max(1, Runtime.getRuntime().availableProcessors()), 2048);
        }
    }

    private final Path path;
    private final Engine engine;

    private TaylorModel(Path path, Engine engine) {
        this.path = path;
        this.engine = engine;
    }

    /** Opens a GGUF file, a Hugging Face folder, a llama2.c {@code .bin} (tokenizer.bin beside it) or a release. */
    public static TaylorModel open(Path path) { return open(path, OpenOptions.defaults()); }

    /**
     * Opens a model or release.
     *
     * @throws TaylorMlpException (or a subclass) when the file is missing, not a model, or damaged
     */
    public static TaylorModel open(Path path, OpenOptions options) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        return new TaylorModel(path, Engine.open(path, options.tokenizer(), options.threads(), options.maxContext()));
    }

    /** Format, architecture and size of the opened file. */
    public ModelInfo info() {
        Model m = engine.model();
        ModelConfig c = m.config();
        return new ModelInfo(path.toString(), String.valueOf(m.format()), c.architecture().name().toLowerCase(java.util.Locale.ROOT),
                m.parameterCount(), c.nLayers(), c.dim(), c.vocabSize(), engine.transformer().maxContext(),
                ReleaseReader.info(m) != null);
    }

    /** Generates a continuation of {@code prompt}. */
    public Completion generate(String prompt, GenerationOptions options) { return generate(prompt, options, null); }

    /**
     * Generates a continuation of {@code prompt}, handing each decoded piece of text to {@code onText} as soon as
     * it is complete UTF-8 (a token may end inside a multi-byte character); return false from it to stop.
     */
    public Completion generate(String prompt, GenerationOptions options, Predicate<String> onText) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(options, "options");
        Tokenizer tok = engine.model().tokenizer();
        int[] ids = tok.encode(prompt, options.addBos());
        if (ids.length == 0) ids = new int[]{tok.bosId()};
        Sampler sampler = new Sampler(options.temperature(), options.topP(), options.topK(), options.seed());
        TokenStreamDecoder dec = new TokenStreamDecoder(tok, ids[ids.length - 1]);
        StringBuilder text = new StringBuilder();
        Generator.Result r = new Generator(engine.transformer(), tok).generate(ids, options.maxTokens(), sampler, (prev, id) -> {
            String piece = dec.accept(id);
            text.append(piece);
            return onText == null || piece.isEmpty() || onText.test(piece);
        });
        String tail = dec.flush();
        text.append(tail);
        if (onText != null && !tail.isEmpty()) onText.test(tail);
        return new Completion(text.toString(), r.promptTokens().length, r.tokens().length, r.stopReason(),
                r.promptTokensPerSecond(), r.decodeTokensPerSecond());
    }

    /** The model's tokenizer applied to {@code text} (with BOS when asked). */
    public int[] encode(String text, boolean addBos) { return engine.model().tokenizer().encode(text, addBos); }

    /** Token ids back to text. */
    public String decode(int[] tokens) { return engine.model().tokenizer().decode(tokens); }

    @Override
    public void close() { engine.close(); }
}
