package org.taylormlp.model;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where a loaded model's tokenizer came from, so that a release can embed it ({@code ReleaseTokenizer}). The loader
 * records it in the model's metadata under {@link ModelLoader#TOKENIZER_SOURCE}; {@link #of(Model)} reads it back.
 */
public sealed interface TokenizerSource {
    /** A llama2.c {@code tokenizer.bin}. */
    record Llama2c(Path tokenizerBin) implements TokenizerSource {}

    /**
     * The {@code tokenizer.*} entries of a GGUF file's metadata, in the GGUF value convention (integers Long, reals
     * Double, arrays List).
     */
    record Gguf(Map<String, Object> metadata) implements TokenizerSource {
        public Gguf {
            metadata = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));
        }
    }

    /** A Hugging Face model folder (tokenizer.json, tokenizer_config.json, config.json, generation_config.json). */
    record HfFolder(Path dir) implements TokenizerSource {}

    /** The model's recorded tokenizer source, or null when it has none (a release, a model built in memory). */
    static TokenizerSource of(Model m) {
        return m.metadata().get(ModelLoader.TOKENIZER_SOURCE) instanceof TokenizerSource s ? s : null;
    }
}
