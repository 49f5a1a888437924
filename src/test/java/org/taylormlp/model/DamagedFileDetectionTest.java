package org.taylormlp.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.synth.SyntheticModels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A damaged GGUF or safetensors file is reported by its own format's reader, not as a failed llama2.c checkpoint
 * (the format tried when no magic matches): a magic one bit off, an empty or truncated file named .gguf or
 * .safetensors, an absurd safetensors header length. A text file keeps the "not a model file" message.
 */
class DamagedFileDetectionTest {
    @TempDir
    Path dir;

    private static ModelFormatException refused(Path p) {
        try {
            ModelLoader.load(p).close();
        } catch (ModelFormatException e) {
            return e;
        }
        throw new AssertionError(p + " loaded");
    }

    @Test
    void ggufDamageIsAGgufError() throws IOException {
        Path good = dir.resolve("tiny.gguf");
        SyntheticModels.write(SyntheticModels.tiny(SyntheticModels.Family.LLAMA), "gguf", good, Long.MAX_VALUE);
        byte[] b = Files.readAllBytes(good);
        for (int bit = 0; bit < 32; bit += 5) {
            byte[] f = b.clone();
            f[bit / 8] ^= (byte) (1 << (bit % 8));
            Path p = Files.write(dir.resolve("flip" + bit + ".bin"), f); // not even named .gguf
            assertThat(refused(p)).hasMessageContaining("not a GGUF file: magic is").hasMessageNotContaining("llama2.c");
        }
        assertThat(refused(Files.write(dir.resolve("empty.gguf"), new byte[0]))).hasMessageContaining("too short for a GGUF header");
        assertThat(refused(Files.write(dir.resolve("cut.gguf"), Arrays.copyOf(b, 3)))).hasMessageContaining("too short for a GGUF header");
        byte[] zeros = new byte[4096];
        assertThat(refused(Files.write(dir.resolve("zeros.gguf"), zeros))).hasMessageContaining("not a GGUF file");
    }

    @Test
    void safetensorsDamageIsASafetensorsError() throws IOException {
        assertThat(refused(Files.write(dir.resolve("empty.safetensors"), new byte[0])))
                .hasMessageContaining("too short for the 8-byte header length").hasMessageNotContaining("llama2.c");
        byte[] huge = new byte[64];
        huge[5] = 1; // header length 2^40
        huge[8] = '{';
        assertThat(refused(Files.write(dir.resolve("huge.safetensors"), huge)))
                .hasMessageContaining("header length 1099511627776 is invalid").hasMessageNotContaining("llama2.c");
    }

    @Test
    void aTextFileIsStillNoModelAndAnEmptyBinIsALlama2cError() throws IOException {
        Path t = Files.writeString(dir.resolve("notes.safetensors"), "These are my notes, saved under the wrong name.\n");
        assertThat(refused(t)).hasMessageContaining("not a model file").hasMessageContaining("text file");
        assertThat(refused(Files.write(dir.resolve("model.bin"), new byte[0]))).hasMessageContaining("truncated llama2.c header");
    }

    @Test
    void aLoadableGgufStillLoadsWhateverItsName() throws IOException {
        Path good = dir.resolve("tiny.gguf");
        SyntheticModels.write(SyntheticModels.tiny(SyntheticModels.Family.LLAMA), "gguf", good, Long.MAX_VALUE);
        Path renamed = Files.copy(good, dir.resolve("tiny.safetensors"));
        try (Model m = ModelLoader.load(renamed)) {
            assertThat(m.format()).isEqualTo("gguf");
        }
    }
}
