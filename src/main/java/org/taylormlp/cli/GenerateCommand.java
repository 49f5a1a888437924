package org.taylormlp.cli;

import org.taylormlp.runtime.Engine;
import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;
import org.taylormlp.tokenizer.TokenStreamDecoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt, streaming tokens to stdout; tok/s on stderr at the end.")
public final class GenerateCommand implements Runnable {
    @Mixin
    ModelOptions opts;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "prompt text (default: empty, i.e. BOS only)")
    String prompt = "";

    @Option(names = "-n", paramLabel = "N", description = "maximum tokens to generate (default: ${DEFAULT-VALUE})")
    int n = 256;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--no-bos", description = "do not prepend the BOS token")
    boolean noBos;

    @Override
    public void run() {
        if (n < 0) throw new IllegalArgumentException("-n must be >= 0, got " + n);
        long s = sampling.seedOrClock();
        Sampler sampler = new Sampler(sampling.temperature, sampling.topP, sampling.topK, s);
        try (Engine e = opts.open()) {
            var tok = e.model().tokenizer();
            int[] ids = tok.encode(prompt, !noBos);
            if (ids.length == 0) ids = new int[]{tok.bosId()};
            if (opts.verbose) System.err.println("prompt tokens: " + ids.length + ", seed: " + s);
            PrintStream out = System.out;
            TokenStreamDecoder dec = new TokenStreamDecoder(tok, ids[ids.length - 1]);
            out.print(prompt);
            Generator.Result r = new Generator(e.transformer(), tok).generate(ids, n, sampler, (prev, id) -> {
                out.print(dec.accept(id));
                out.flush();
                return true;
            });
            out.print(dec.flush());
            out.println();
            out.flush();
            System.err.printf("%d prompt tokens: %.1f tok/s; %d generated tokens: %.1f tok/s%n",
                    r.promptTokens().length, r.promptTokensPerSecond(), r.tokens().length, r.decodeTokensPerSecond());
        }
    }
}
