package org.taylormlp.format;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.format.gguf.GgufFile;
import org.taylormlp.format.gguf.GgufType;
import org.taylormlp.format.gguf.GgufWriter;
import org.taylormlp.format.safetensors.SafetensorsFile;
import org.taylormlp.format.safetensors.SafetensorsWriter;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Quantize;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Seeded mutation fuzzing of valid files (a cheap stand-in for a Jazzer campaign): flipped bytes, overwritten
 * words, truncations and extensions must either open (and then every tensor must be readable end to end) or
 * fail with a ModelFormatException — never any other exception or error.
 */
class MutationFuzzTest {
    private static final int ITERATIONS = 1000;

    @TempDir
    Path dir;

    interface Opener {
        List<Tensor> openAndTouch(Path p) throws IOException;
    }

    @Test
    @Timeout(60)
    void ggufMutants() throws IOException {
        Path good = dir.resolve("good.gguf");
        new GgufWriter().putString("general.architecture", "llama").putUInt32("llama.block_count", 2)
                .putStringArray("tokenizer.ggml.tokens", List.of("a", "bb", "ccc"))
                .putFloat32Array("tokenizer.ggml.scores", new float[] {0, -1, -2})
                .putArray("nested", GgufType.ARRAY, List.of(org.taylormlp.format.gguf.GgufArray.of(GgufType.INT16, List.of(1))))
                .addTensor(Tensor.ofFloats("a", new float[] {1, 2, 3, 4}, 2, 2))
                .addTensor(Quantize.quantize(Tensor.ofFloats("q", new float[64], 2, 32), DType.Q4_0))
                .write(good);
        fuzz(Files.readAllBytes(good), "m.gguf", p -> {
            try (GgufFile f = GgufFile.open(p)) {
                f.tensors().forEach(Tensor::toFloats);
                f.metadata().values().forEach(String::valueOf);
                return f.tensors();
            }
        });
    }

    @Test
    @Timeout(60)
    void safetensorsMutants() throws IOException {
        Path good = dir.resolve("good.safetensors");
        new SafetensorsWriter().putMetadata("format", "pt")
                .addTensor(Tensor.ofFloats("a", new float[] {1, 2, 3, 4}, 2, 2))
                .addTensor(Quantize.quantize(Tensor.ofFloats("h", new float[] {1, 2}, 2), DType.BF16))
                .write(good);
        fuzz(Files.readAllBytes(good), "m.safetensors", p -> {
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                for (String n : f.tensorNames()) {
                    try {
                        f.tensor(n).toFloats();
                    } catch (ModelFormatException unsupportedDtype) {
                        // a mutated dtype can name a valid but unsupported type
                    }
                }
                return List.of();
            }
        });
    }

    private void fuzz(byte[] good, String name, Opener opener) throws IOException {
        Random r = new Random(20240611);
        Path p = dir.resolve(name);
        Files.write(p, good);
        assertThat(opener.openAndTouch(p)).as("the unmutated file opens").isNotNull();
        int accepted = 0, rejected = 0;
        for (int it = 0; it < ITERATIONS; it++) {
            byte[] b = mutate(good, r);
            Files.write(p, b);
            try {
                opener.openAndTouch(p);
                accepted++;
            } catch (ModelFormatException expected) {
                rejected++;
            } catch (Throwable t) {
                fail("iteration " + it + ": " + t + " for mutant " + Arrays.toString(Arrays.copyOf(b, Math.min(b.length, 96))), t);
            }
        }
        System.out.printf("%s: %d mutants opened, %d rejected with ModelFormatException%n", name, accepted, rejected);
        // both outcomes must occur: a fuzzer whose mutants all fail early (or all miss the parsed bytes) tests
        // nothing. Mutations of data bytes open, mutations of headers and truncations are rejected. Measured with
        // this seed: GGUF 438 opened / 562 rejected, safetensors 40 / 960 (its JSON header is most of the file);
        // the floor of 2 % each is below both.
        assertThat(accepted).as("mutants that opened").isGreaterThanOrEqualTo(ITERATIONS / 50);
        assertThat(rejected).as("mutants rejected").isGreaterThanOrEqualTo(ITERATIONS / 50);
    }

    private static byte[] mutate(byte[] good, Random r) {
        byte[] b = good.clone();
        switch (r.nextInt(5)) {
            case 0 -> { // flip a few random bytes
                for (int k = 1 + r.nextInt(4); k > 0; k--) b[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255));
            }
            case 1 -> { // overwrite an 8-byte word with an interesting value
                long[] vals = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 62, 1L << 32, 0xffff_ffffL, 7, 13};
                long v = vals[r.nextInt(vals.length)];
                int at = r.nextInt(b.length - 8);
                for (int i = 0; i < 8; i++) b[at + i] = (byte) (v >>> (8 * i));
            }
            case 2 -> b = Arrays.copyOf(b, r.nextInt(b.length)); // truncate
            case 3 -> b = Arrays.copyOf(b, b.length + 1 + r.nextInt(64)); // extend with zeros
            default -> { // overwrite a 4-byte word with a small value (counts, types, n_dims)
                int at = r.nextInt(b.length - 4);
                int v = r.nextInt(40);
                for (int i = 0; i < 4; i++) b[at + i] = (byte) (v >>> (8 * i));
            }
        }
        return b;
    }
}
