package org.taylormlp.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.taylormlp.format.gguf.GgufFile;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;

import java.nio.file.Files;
import java.nio.file.Path;

/** GGUF files: the structural reader, then the model loader (config, embedded tokenizer) and a forward pass. */
class GgufFuzzTest {
    @FuzzTest
    void fuzz(byte[] in) {
        FuzzHarness.check("gguf", in, FuzzHarness.READER, null, dir -> {
            Path p = dir.resolve("m.gguf");
            Files.write(p, in);
            try (GgufFile g = ModelLoader.io(p, () -> GgufFile.open(p))) {
                Exercise.tensors(g.tensors());
                g.metadata().values().forEach(String::valueOf);
            }
            try (Model m = ModelLoader.loadGguf(p)) {
                Exercise.model(m);
            }
        });
    }
}
