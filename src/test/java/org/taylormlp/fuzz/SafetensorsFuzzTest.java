package org.taylormlp.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.format.safetensors.SafetensorsFile;
import org.taylormlp.model.ModelLoader;

import java.nio.file.Files;
import java.nio.file.Path;

/** A single safetensors file: header, metadata, every tensor read as floats. */
class SafetensorsFuzzTest {
    @FuzzTest
    void fuzz(byte[] in) {
        FuzzHarness.check("safetensors", in, FuzzHarness.READER, null, dir -> {
            Path p = dir.resolve("m.safetensors");
            Files.write(p, in);
            try (SafetensorsFile f = ModelLoader.io(p, () -> SafetensorsFile.open(p))) {
                f.metadata().values().forEach(String::valueOf);
                for (String n : f.tensorNames()) {
                    f.dtypeOf(n);
                    try {
                        f.tensor(n).toFloats();
                    } catch (ModelFormatException unsupported) {
                        // a valid but unsupported dtype fails per tensor; the others must still read
                    }
                }
            }
        });
    }
}
