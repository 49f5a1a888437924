package org.taylormlp.cli;

import org.taylormlp.runtime.Engine;
import org.taylormlp.model.ResidentWeights;
import org.taylormlp.model.WeightLoading;
import org.taylormlp.keys.OwnerKey;
import org.taylormlp.taylor.ReleaseIntegrity;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.security.PublicKey;

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

    @Mixin
    LoadOptions load = new LoadOptions();

    @Option(names = {"-v", "--verbose"}, description = "print the kernel backend and load details to stderr")
    public boolean verbose;

    @Option(names = "--public", paramLabel = "KEY", description = "owner public key (keygen --public): the release must carry a valid signature by it")
    public Path publicKey;

    @Option(names = "--no-verify", description = "skip hashing a release's tensors against the digests it records (faster start of big releases; damage then goes unnoticed)")
    public boolean noVerify;

    /** How a release is checked at load, from --public and --no-verify (notices go to stderr). */
    public ReleaseIntegrity.Policy releasePolicy() {
        return releasePolicy(publicKey, noVerify);
    }

    static ReleaseIntegrity.Policy releasePolicy(Path publicKey, boolean noVerify) {
        PublicKey key = publicKey == null ? null : OwnerKey.readPublic(publicKey);
        return new ReleaseIntegrity.Policy(!noVerify, key, publicKey == null ? null : publicKey.toString(), System.err::println);
    }

    /** The chosen weight placement, or {@code dflt} when neither --load nor --no-mmap was given. */
    public WeightLoading loading(WeightLoading dflt) {
        return load.loading(dflt);
    }

    /** Opens the model with {@link WeightLoading#AUTO} unless the options say otherwise. */
    public Engine open() {
        return open(WeightLoading.AUTO);
    }

    public Engine open(WeightLoading dflt) {
        if (threads < 1 || threads > 1024) throw new IllegalArgumentException("--threads must be between 1 and 1024, got " + threads);
        if (ctx < 1) throw new IllegalArgumentException("--ctx must be positive, got " + ctx);
        ReleaseIntegrity.Policy policy = releasePolicy();
        long t0 = System.nanoTime();
        Engine e = ScopedValue.where(ReleaseIntegrity.POLICY, policy).call(() -> Engine.open(model, tokenizer, threads, ctx, loading(dflt)));
        ReleaseIntegrity.Report integrity = ReleaseIntegrity.report(e.model());
        if (publicKey != null && integrity == null) {
            e.close();
            throw new IllegalArgumentException("--public applies to taylormlp releases; " + model + " is not one");
        }
        if (verbose) {
            System.err.printf("loaded %s (%s, %s) in %.0f ms; kernels: %s; weights: %s%n", model, e.model().format(),
                    e.model().config().architecture(), (System.nanoTime() - t0) / 1e6, e.kernels().name(),
                    ResidentWeights.placement(e.model()));
            if (integrity != null) System.err.println("release check: " + integrity.describe());
        }
        return e;
    }
}
