package org.taylormlp.api;

/**
 * What one generation produced: the generated text (without the prompt), token counts, why it stopped
 * ({@code "length"}, {@code "stop"} at an end-of-generation token or when the listener asked, {@code "context"}
 * at the end of the context window) and the measured speeds.
 */
public record Completion(String text, int promptTokens, int generatedTokens, String stopReason,
                         double promptTokensPerSecond, double decodeTokensPerSecond) {}
