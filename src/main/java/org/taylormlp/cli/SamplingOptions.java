package org.taylormlp.cli;

import picocli.CommandLine.Option;

/** Sampling options shared by {@code generate} and {@code chat}. */
public final class SamplingOptions {
    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature = 0.8f;

    @Option(names = "--top-p", paramLabel = "P", description = "nucleus sampling mass (default: ${DEFAULT-VALUE})")
    float topP = 0.95f;

    @Option(names = "--top-k", paramLabel = "K", description = "sample among the K most likely tokens, 0 = all (default: ${DEFAULT-VALUE})")
    int topK = 40;

    @Option(names = "--seed", paramLabel = "S", description = "random seed (default: from the clock)")
    Long seed;

    /** The given seed, or one from the clock. */
    long seedOrClock() {
        return seed != null ? seed : System.nanoTime();
    }
}
