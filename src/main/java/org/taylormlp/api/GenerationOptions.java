package org.taylormlp.api;

/**
 * How to sample: {@code temperature} 0 is greedy (argmax); otherwise softmax at that temperature with nucleus
 * ({@code topP} in (0, 1]) and top-k ({@code topK} 0 = off) filtering, reproducible for a given {@code seed}.
 */
public record GenerationOptions(int maxTokens, float temperature, float topP, int topK, long seed, boolean addBos) {
    public GenerationOptions {
        if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must be >= 0, got " + maxTokens);
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        if (topK < 0) throw new IllegalArgumentException("topK must be >= 0, got " + topK);
    }

    /** Greedy decoding of up to {@code maxTokens} tokens after a BOS-prefixed prompt. */
    public static GenerationOptions greedy(int maxTokens) { return new GenerationOptions(maxTokens, 0f, 1f, 0, 0L, true); }

    /** Sampling at {@code temperature} with nucleus 0.95, no top-k, the given seed. */
    public static GenerationOptions sampled(int maxTokens, float temperature, long seed) {
        return new GenerationOptions(maxTokens, temperature, 0.95f, 0, seed, true);
    }

    public GenerationOptions withTopP(float p) { return new GenerationOptions(maxTokens, temperature, p, topK, seed, addBos); }
    public GenerationOptions withTopK(int k) { return new GenerationOptions(maxTokens, temperature, topP, k, seed, addBos); }
    public GenerationOptions withoutBos() { return new GenerationOptions(maxTokens, temperature, topP, topK, seed, false); }
}
