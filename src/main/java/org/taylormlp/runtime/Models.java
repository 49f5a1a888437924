package org.taylormlp.runtime;

import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.taylor.ReleaseReader;

import java.nio.file.Path;

/** Loads any model file the engine runs, releases included: {@link ModelLoader} with the release reader passed in. */
public final class Models {
    private Models() {}

    private static final ReleaseReader RELEASES = new ReleaseReader();

    /** A GGUF file, a Hugging Face folder, a llama2.c {@code .bin} or a taylormlp release. */
    public static Model load(Path path) { return load(path, null); }

    /** @param tokenizer for llama2.c checkpoints: tokenizer.bin (default: looked up beside the model) */
    public static Model load(Path path, Path tokenizer) { return ModelLoader.load(path, tokenizer, RELEASES); }
}
