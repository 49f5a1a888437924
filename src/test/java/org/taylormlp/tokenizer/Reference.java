package org.taylormlp.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.taylormlp.TestFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Model files and golden data of the reference C implementation. The tokenizers are on every clone (see
 * {@link TestFiles}); the golden outputs live only in the team's test assets, and a test reading one without them is
 * skipped, naming the file.
 */
final class Reference {
    static final Path STORIES15M_TOKENIZER = TestFiles.stories15MTokenizer();
    static final Path STORIES15M_OLD_TOKENIZER = TestFiles.model("stories15M/tokenizer.old-format.bin");
    static final Path STORIES260K_TOKENIZER = TestFiles.tok512();

    /** stories260K.gguf from the test assets (skips the calling test when they are absent). */
    static Path stories260KGguf() { return TestFiles.model("stories260K-gguf/stories260K.gguf"); }

    private Reference() {}

    /** {@code greedy_ids_after_BOS} of a model folder's greedy_reference.json. */
    static int[] greedyIds(String model) {
        JsonNode ids = json(model).path("greedy_ids_after_BOS");
        int[] out = new int[ids.size()];
        for (int i = 0; i < out.length; i++) out[i] = ids.get(i).asInt();
        return out;
    }

    /** {@code text} of greedy_reference.json (byte tokens spelled like {@code <0x0A>}). */
    static String greedyText(String model) {
        return json(model).path("text").asText();
    }

    /**
     * A short children's story written for these tests (no data set): the stand-in for run.c's text where a test only
     * needs story-like text to tokenize.
     */
    static final String STORY = """
            Once upon a time, there was a little dog named Pip. Pip liked to run in the park with his friend, a girl \
            called Mia. One day, Mia found a shiny red ball under a big tree. "Look, Pip!" she said. Pip wagged his tail \
            and barked. They played until the sun went down, and then they walked home, tired and happy.
            The next morning, it was raining. Mia was sad, but her mom said, "Let's bake cookies!" The kitchen smelled \
            sweet and warm. Pip sat by the oven and waited. When the cookies were ready, Mia gave one to her mom, one to \
            her dad, and a tiny piece to Pip. It was the best rainy day ever.
            """;

    /** run.c's text when the test assets are here, else {@link #STORY}: for tests that only need story-like text. */
    static String runCTextOrStory(String model, String fileName) {
        return TestFiles.hasAsset("models/" + model + "/" + fileName) ? runCText(model, fileName) : STORY;
    }

    /** Text the reference C implementation printed, e.g. {@code run_c_t0_n256.txt}. */
    static String runCText(String model, String fileName) {
        return read(TestFiles.model(model + "/" + fileName));
    }

    private static JsonNode json(String model) {
        try {
            return new ObjectMapper().readTree(TestFiles.model(model + "/greedy_reference.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Pieces of a llama2.c tokenizer.bin, read independently of the code under test. */
    record Llama2cVocab(int maxTokenLength, List<byte[]> pieces, List<Float> scores) {}

    static Llama2cVocab readLlama2c(Path p) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
            int max = b.getInt();
            List<byte[]> pieces = new ArrayList<>();
            List<Float> scores = new ArrayList<>();
            while (b.hasRemaining()) {
                scores.add(b.getFloat());
                byte[] piece = new byte[b.getInt()];
                b.get(piece);
                pieces.add(piece);
            }
            return new Llama2cVocab(max, pieces, scores);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
