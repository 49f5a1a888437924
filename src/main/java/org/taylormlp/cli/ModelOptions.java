package org.taylormlp.cli;

import org.taylormlp.app.Engine;
import org.taylormlp.model.ResidentWeights;
import org.taylormlp.model.WeightLoading;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by every command that runs a model. */
public final class ModelOptions {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH",
            description = "GGUF file, Hugging Face folder, llama2.c .bin, or taylormlp release")
    public Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "tokenizer.bin for llama2.c checkpoints (default: beside the model)")
    public Path tokenizer;

    @Option(names = {"-t", "--threads"}, paramLabel = "K", description = "compute threads (default: all cores)")
    public int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = {"-c", "--ctx"}, paramLabel = "N", description = "maximum context in tokens (default: the model's, at most ${DEFAULT-VALUE})")
    public int ctx = 4096;

    @Option(names = "--load", paramLabel = "MODE", converter = LoadConverter.class,
            description = {"where the weights live while the model runs: mmap (read in place from the mapped file, llama.cpp's default), "
                    + "copy (copied once into private memory with transparent huge pages advised, like llama.cpp's --no-mmap; "
                    + "the kernel cannot reclaim it mid-token), auto (copy when the weights fit in 70 %% of available memory, else mmap). "
                    + "Default: auto (protect: mmap)"})
    public WeightLoading load;

    @Option(names = "--no-mmap", description = "same as --load copy")
    public boolean noMmap;

    @Option(names = {"-v", "--verbose"}, description = "print the kernel backend and load details to stderr")
    public boolean verbose;

    /** The chosen weight placement, or {@code dflt} when neither --load nor --no-mmap was given. */
    public WeightLoading loading(WeightLoading dflt) {
        return loading(load, noMmap, dflt);
    }

    /** --load and --no-mmap as given (load null when absent) resolved against the command's default. */
    static WeightLoading loading(WeightLoading load, boolean noMmap, WeightLoading dflt) {
        if (noMmap && load != null && load != WeightLoading.COPY) {
            throw new IllegalArgumentException("--no-mmap contradicts --load " + load);
        }
        return noMmap ? WeightLoading.COPY : load != null ? load : dflt;
    }

    /** Opens the model with {@link WeightLoading#AUTO} unless the options say otherwise. */
    public Engine open() {
        return open(WeightLoading.AUTO);
    }

    public Engine open(WeightLoading dflt) {
        if (threads < 1 || threads > 1024) throw new IllegalArgumentException("--threads must be between 1 and 1024, got " + threads);
        if (ctx < 1) throw new IllegalArgumentException("--ctx must be positive, got " + ctx);
        long t0 = System.nanoTime();
        Engine e = Engine.open(model, tokenizer, threads, ctx, loading(dflt));
        if (verbose) {
            System.err.printf("loaded %s (%s, %s) in %.0f ms; kernels: %s; weights: %s%n", model, e.model().format(),
                    e.model().config().architecture(), (System.nanoTime() - t0) / 1e6, e.kernels().name(),
                    ResidentWeights.placement(e.model()));
        }
        return e;
    }

    /** Parses --load values with the same message as {@link WeightLoading#parse}. */
    public static final class LoadConverter implements ITypeConverter<WeightLoading> {
        @Override
        public WeightLoading convert(String value) { return WeightLoading.parse(value); }
    }
}
