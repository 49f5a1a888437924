package org.taylormlp.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.taylormlp.runtime.Engine;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;

import java.nio.file.Files;
import java.nio.file.Path;

/** Release files (safetensors with taylor metadata): loaded as the CLI does, Taylor blocks built, two tokens run. */
class ReleaseFuzzTest {
    @FuzzTest
    void fuzz(byte[] in) {
        FuzzHarness.check("release", in, FuzzHarness.READER, null, dir -> {
            Path p = dir.resolve("release.safetensors");
            Files.write(p, in);
            try (Model m = org.taylormlp.runtime.Models.load(p)) {
                Exercise.model(m);
            }
        });
    }
}
