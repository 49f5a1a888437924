package org.taylormlp.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A llama2.c checkpoint and its tokenizer.bin, as one input split by {@link FuzzHarness#split}: the checkpoint,
 * then the tokenizer. Loaded as the CLI does ({@code org.taylormlp.runtime.Models.load(model, tokenizer)}), then run.
 */
class Llama2cFuzzTest {
    @FuzzTest
    void fuzz(byte[] in) {
        byte[][] parts = FuzzHarness.split(in);
        FuzzHarness.check("llama2c", in, FuzzHarness.READER, null, dir -> {
            Path model = dir.resolve("model.bin");
            Path tok = dir.resolve("tokenizer.bin");
            Files.write(model, parts[0]);
            Files.write(tok, parts[1]);
            try (Model m = ModelLoader.loadLlama2c(model, tok)) {
                Exercise.model(m);
            }
        });
    }
}
