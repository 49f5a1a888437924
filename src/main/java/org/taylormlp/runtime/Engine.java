package org.taylormlp.runtime;

import org.taylormlp.model.Model;
import org.taylormlp.taylor.ReleaseReader;
import org.taylormlp.model.ResidentWeights;
import org.taylormlp.model.WeightLoading;
import org.taylormlp.nn.FeedForward;
import org.taylormlp.nn.Transformer;
import org.taylormlp.tensor.Kernels;
import org.taylormlp.tensor.KernelsProvider;

import java.nio.file.Path;
import java.util.function.IntFunction;

/**
 * A model ready to run: the loaded checkpoint or release, the kernels chosen for this machine and the
 * transformer (with the release's Taylor feed-forward blocks when the file is a release). This package is the
 * engine's composition root: it wires the release reader and the Taylor feed-forward in explicitly.
 */
public final class Engine implements AutoCloseable {
    private final Model model;
    private final Kernels kernels;
    private final Transformer transformer;

    public Engine(Model model, Kernels kernels, int maxContext) {
        this.model = model;
        this.kernels = kernels;
        IntFunction<FeedForward> f = ReleaseReader.feedForwards(model, kernels);
        this.transformer = new Transformer(model, kernels, maxContext, Transformer.DEFAULT_BATCH, f);
        transformer.warmUp(WARMUP_MILLIS);
    }

    /**
     * JIT warm-up budget at start ({@code -Dtaylormlp.warmupMillis}, default 300; 0 disables): without it the
     * first tokens run in the interpreter / C1 (the first forward of stories15M took ~3 s instead of ~3 ms).
     */
    private static final long WARMUP_MILLIS = Long.getLong("taylormlp.warmupMillis", 300L);

    /** Opens a model or release with {@link WeightLoading#AUTO} weight placement. */
    public static Engine open(Path path, Path tokenizer, int threads, int maxContext) {
        return open(path, tokenizer, threads, maxContext, WeightLoading.AUTO);
    }

    /** Opens a model or release, placing its weights as {@code loading} says ({@link ResidentWeights}). */
    public static Engine open(Path path, Path tokenizer, int threads, int maxContext, WeightLoading loading) {
        Model m = place(Models.load(path, tokenizer), loading);
        try {
            return new Engine(m, KernelsProvider.create(threads), maxContext);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * {@link ResidentWeights#apply}, closing {@code m} if placing fails; copies of 256 MiB or more show a
     * progress bar (in MiB) where {@link Progress} draws bars.
     */
    public static Model place(Model m, WeightLoading loading) {
        Progress[] bar = {null};
        try {
            return ResidentWeights.apply(m, loading, (done, total) -> {
                if (total < (256L << 20)) return;
                if (bar[0] == null) bar[0] = Progress.start("load", total >> 20);
                bar[0].stepTo(done >> 20);
            });
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        } finally {
            if (bar[0] != null) bar[0].close();
        }
    }

    public Model model() { return model; }
    public Kernels kernels() { return kernels; }
    public Transformer transformer() { return transformer; }

    @Override
    public void close() {
        model.close();
    }
}
