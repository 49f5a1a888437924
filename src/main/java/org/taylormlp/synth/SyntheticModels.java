package org.taylormlp.synth;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.convert.ModelWriters;
import org.taylormlp.format.gguf.GgufKeys;
import org.taylormlp.model.Architecture;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.model.TensorNames;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Quantize;
import org.taylormlp.tensor.Tensor;
import org.taylormlp.tokenizer.ByteLevelBpeTokenizer;
import org.taylormlp.tokenizer.ScoreBpeTokenizer;
import org.taylormlp.tokenizer.TokenType;
import org.taylormlp.tokenizer.Tokenizer;
import org.taylormlp.tokenizer.TokenizerOptions;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Deterministic random-weight models of every supported family, with realistic shapes, for tests, benchmarks and
 * the protect/audit code. The same {@link Spec} always gives bit-identical weights (a seeded xorshift generator
 * per tensor; uniform values with the variance of the intended Gaussian).
 *
 * <p>Weight scales are chosen so that next-token distributions are peaked: normalized hidden states (rms 1)
 * times output rows of standard deviation {@code logitStd/√dim} give logits of standard deviation
 * {@code logitStd}, so the top token is well separated from the runner-up in most steps. Rows of control
 * tokens (BOS, EOS, chat markers) in the output head and embedding are zero, so greedy generation never stops
 * early.
 *
 * <p>Tokenizers: Llama and Mistral use the real 512-token vocabulary of llama2.c's stories260K ({@code tok512.bin},
 * bundled as a resource); Qwen2 and Phi-2 a small GGUF "gpt2" byte-level vocabulary (256 byte tokens in
 * GPT-2's byte alphabet, merges for common English words, {@code <|endoftext|>}, {@code <|im_start|>},
 * {@code <|im_end|>}); the Llama-3-8B-shaped preset a generated 128,256-token byte-level vocabulary
 * ({@code <|begin_of_text|>} = 128000, {@code <|end_of_text|>} = 128001, {@code <|eot_id|>} = 128009).
 *
 * <p>Small models live in off-heap memory; models above {@value #MAPPED_THRESHOLD} bytes are generated into a
 * memory-mapped temporary file (deleted when the model is closed), tensor by tensor, never on the Java heap.
 */
public final class SyntheticModels {
    static final long MAPPED_THRESHOLD = 256L << 20;
    /** Gain of attention output projections. */
    static final double ATTN_OUT_GAIN = 1.0;
    /** Gain of Phi-2's fc2 (see {@link #tensorSpecs}). */
    static final double PHI_DOWN = 0.3;
    /** Standard deviation of the logits of the tiny presets. */
    static final double LOGIT = 16;

    private SyntheticModels() {}

    public enum Family {
        LLAMA(Architecture.LLAMA), MISTRAL(Architecture.MISTRAL), QWEN2(Architecture.QWEN2), PHI2(Architecture.PHI2);

        private final Architecture arch;

        Family(Architecture a) { this.arch = a; }

        public Architecture architecture() { return arch; }

        public static Family parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT).replace("-", ""));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown family '" + s + "' (known: llama, mistral, qwen2, phi2)");
            }
        }
    }

    /** Vocabularies the generator can attach. */
    public enum VocabKind { TOK512, BYTE_LEVEL_SMALL, BYTE_LEVEL_LLAMA3 }

    /**
     * Everything that determines a synthetic model.
     *
     * @param rotaryDim    leading dimensions of each head that RoPE rotates
     * @param ropeScaling  Llama-3.1 frequency scaling or null
     * @param window       sliding window (Mistral), 0 = none
     * @param dtype        dtype of the matrices (1-D tensors are F32)
     * @param logitStd     standard deviation of the logits (peakedness)
     */
    public record Spec(Family family, int dim, int hidden, int layers, int heads, int kvHeads, int headDim,
                       int rotaryDim, double ropeTheta, ModelConfig.RopeScaling ropeScaling, int window,
                       int contextLength, boolean tied, VocabKind vocab, DType dtype, double logitStd, long seed) {
        public Spec withLayers(int n) {
            return new Spec(family, dim, hidden, n, heads, kvHeads, headDim, rotaryDim, ropeTheta, ropeScaling, window,
                    contextLength, tied, vocab, dtype, logitStd, seed);
        }

        public Spec withSeed(long s) {
            return new Spec(family, dim, hidden, layers, heads, kvHeads, headDim, rotaryDim, ropeTheta, ropeScaling, window,
                    contextLength, tied, vocab, dtype, logitStd, s);
        }

        public Spec withRopeScaling(ModelConfig.RopeScaling rs) {
            return new Spec(family, dim, hidden, layers, heads, kvHeads, headDim, rotaryDim, ropeTheta, rs, window,
                    contextLength, tied, vocab, dtype, logitStd, seed);
        }

        public Spec withDtype(DType d) {
            return new Spec(family, dim, hidden, layers, heads, kvHeads, headDim, rotaryDim, ropeTheta, ropeScaling, window,
                    contextLength, tied, vocab, d, logitStd, seed);
        }

        public Spec withLogitStd(double s) {
            return new Spec(family, dim, hidden, layers, heads, kvHeads, headDim, rotaryDim, ropeTheta, ropeScaling, window,
                    contextLength, tied, vocab, dtype, s, seed);
        }
    }

    /** Llama-3.1-style scaling that matters at small sizes (original context 64: some pairs scaled, some smoothed). */
    public static final ModelConfig.RopeScaling TINY_LLAMA3_SCALING = new ModelConfig.RopeScaling(8, 1, 4, 64);

    /**
     * Small models (dim 128–160, 2 layers, hidden 3–4×dim):
     * Llama 8/2 heads (GQA); Mistral 4/1 heads, θ = 1e6, sliding window 4096 (longer than any test sequence);
     * Qwen2 4/2 heads, q/k/v biases, θ = 1e6, tied embeddings; Phi-2 2 heads of 80 with partial rotary 0.4,
     * LayerNorm with biases, parallel attention + GELU-tanh MLP with biases, dense and lm_head biases.
     */
    public static Spec tiny(Family f) {
        return switch (f) {
            case LLAMA -> new Spec(f, 128, 384, 2, 8, 2, 16, 16, 10000, null, 0, 2048, false, VocabKind.TOK512,
                    DType.F32, LOGIT, 24);
            case MISTRAL -> new Spec(f, 128, 448, 2, 4, 1, 32, 32, 1e6, null, 4096, 8192, false, VocabKind.TOK512,
                    DType.F32, LOGIT, 17);
            case QWEN2 -> new Spec(f, 128, 352, 2, 4, 2, 32, 32, 1e6, null, 0, 4096, true, VocabKind.BYTE_LEVEL_SMALL,
                    DType.F32, LOGIT, 3);
            case PHI2 -> new Spec(f, 160, 640, 2, 2, 2, 80, 32, 10000, null, 0, 2048, false, VocabKind.BYTE_LEVEL_SMALL,
                    DType.F32, LOGIT, 19);
        };
    }

    /** Llama-3-8B shapes (hidden 4096, intermediate 14336, 32/8 heads, vocab 128256, θ = 5e5, Llama 3.1 scaling), BF16. */
    public static Spec llama3_8b(int layers) {
        return new Spec(Family.LLAMA, 4096, 14336, layers, 32, 8, 128, 128, 500000,
                new ModelConfig.RopeScaling(8, 1, 4, 8192), 0, 8192, false, VocabKind.BYTE_LEVEL_LLAMA3, DType.BF16, 8, 0x8b);
    }

    /** A spec by preset name: "tiny" or "llama3-8b" (the latter only for the llama family). */
    public static Spec preset(Family f, String preset) {
        return switch (preset.toLowerCase(Locale.ROOT)) {
            case "tiny" -> tiny(f);
            case "llama3-8b", "llama3_8b" -> {
                if (f != Family.LLAMA) throw new IllegalArgumentException("preset llama3-8b is only for --family llama");
                yield llama3_8b(2);
            }
            default -> throw new IllegalArgumentException("unknown preset '" + preset + "' (known: tiny, llama3-8b)");
        };
    }

    // ------------------------------------------------------------------------------------------ building

    public static ModelConfig config(Spec s, Tokenizer tok) {
        // norm, RoPE pairing (GGUF layout), residual and MLP form, activation and biases: the family's (Architecture)
        return ModelConfig.builder(s.family.architecture()).dim(s.dim).hiddenDim(s.hidden).nLayers(s.layers).nHeads(s.heads)
                .nKvHeads(s.kvHeads).headDim(s.headDim).vocabSize(tok.vocabSize()).contextLength(s.contextLength)
                .ropeTheta(s.ropeTheta).rotaryDim(s.rotaryDim).ropeScaling(s.ropeScaling).slidingWindow(s.window)
                .tiedEmbeddings(s.tied).bosId(Math.max(tok.bosId(), 0)).eosId(Math.max(tok.eosId(), 0)).build();
    }

    /** The synthetic model (close it to free memory / delete its temporary file). */
    public static Model create(Spec s) {
        return create(s, null);
    }

    /**
     * @param tempDir where a large model's temporary weight file goes (null: the system temporary folder)
     */
    public static Model create(Spec s, Path tempDir) {
        Tokenizer tok = tokenizer(s.vocab);
        ModelConfig cfg = config(s, tok);
        String problem = cfg.problem();
        if (problem != null) throw new TaylorMlpException("synthetic " + s.family + ": " + problem);
        List<TensorSpec> specs = tensorSpecs(s, cfg);
        long total = 0;
        for (TensorSpec t : specs) total += t.dtype.bytesFor(t.rows * t.cols);
        List<AutoCloseable> resources = new ArrayList<>();
        Storage storage = total > MAPPED_THRESHOLD ? Storage.mapped(tempDir, total, resources) : Storage.heapless();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Set<Integer> zeroRows = controlIds(tok);
        try {
            for (TensorSpec t : specs) tensors.put(t.name, generate(t, s.seed, storage, zeroRows));
        } catch (IOException | RuntimeException e) {
            for (AutoCloseable r : resources) closeQuietly(r);
            throw e instanceof RuntimeException re ? re : new TaylorMlpException("synthetic model: " + e.getMessage(), e);
        }
        Map<String, Object> md = new LinkedHashMap<>();
        md.put(GgufKeys.NAME, "synthetic-" + s.family.name().toLowerCase(Locale.ROOT));
        md.put("synthetic.seed", s.seed);
        return new Model(Path.of("synthetic-" + s.family.name().toLowerCase(Locale.ROOT)), "synthetic", cfg, tensors, tok, md,
                resources);
    }

    /**
     * Generates the model and writes it: {@code to} = "gguf" (a file) or "hf"/"safetensors" (a folder, sharded at
     * {@code maxShardBytes}).
     */
    public static ModelWriters.Report write(Spec s, String to, Path out, long maxShardBytes) throws IOException {
        Path abs = out.toAbsolutePath();
        try (Model m = create(s, abs.getParent())) {
            return switch (to.toLowerCase(Locale.ROOT)) {
                case "gguf" -> ModelWriters.writeGguf(m, null, abs);
                case "hf", "safetensors" -> ModelWriters.writeHf(m, null, abs, maxShardBytes);
                default -> throw new IllegalArgumentException("unknown output format '" + to + "' (known: gguf, hf)");
            };
        }
    }

    private record TensorSpec(String name, long rows, long cols, boolean vector, DType dtype, Init init, double scale,
                              boolean zeroControlRows, double gain) {
        TensorSpec(String name, long rows, long cols, boolean vector, DType dtype, Init init, double scale, boolean zeroControlRows) {
            this(name, rows, cols, vector, dtype, init, scale, zeroControlRows, 1.0);
        }
    }

    private enum Init { NORMAL, ONES_PLUS, ZERO }

    private static List<TensorSpec> tensorSpecs(Spec s, ModelConfig c) {
        List<TensorSpec> l = new ArrayList<>();
        int d = s.dim, v = c.vocabSize();
        boolean phi = s.family == Family.PHI2;
        DType m = s.dtype;
        // tied: small embeddings (so a token's own row does not dominate the next-token logits), scaled up by the
        // final norm's weights to reach logitStd
        double embStd = s.tied ? 0.05 : 1.0;
        double outNormScale = s.tied ? s.logitStd / (Math.sqrt(d) * embStd) : 1.0;
        l.add(new TensorSpec(TensorNames.TOKEN_EMBD, v, d, false, m, Init.NORMAL, embStd, s.tied));
        for (int i = 0; i < s.layers; i++) {
            String p = "blk." + i + ".";
            l.add(vec(p + TensorNames.ATTN_NORM, d, Init.ONES_PLUS, 0.1));
            if (phi) l.add(vec(p + TensorNames.ATTN_NORM_BIAS, d, Init.NORMAL, 0.1));
            l.add(mat(p + TensorNames.ATTN_Q, c.qDim(), d, m, 1.0 / Math.sqrt(d)));
            l.add(mat(p + TensorNames.ATTN_K, c.kvDim(), d, m, 1.0 / Math.sqrt(d)));
            l.add(mat(p + TensorNames.ATTN_V, c.kvDim(), d, m, 1.0 / Math.sqrt(d)));
            if (c.attnQkvBias()) {
                l.add(vec(p + TensorNames.ATTN_Q_BIAS, c.qDim(), Init.NORMAL, 0.3));
                l.add(vec(p + TensorNames.ATTN_K_BIAS, c.kvDim(), Init.NORMAL, 0.3));
                l.add(vec(p + TensorNames.ATTN_V_BIAS, c.kvDim(), Init.NORMAL, 0.05));
            }
            l.add(mat(p + TensorNames.ATTN_OUT, d, c.qDim(), m, ATTN_OUT_GAIN / Math.sqrt(c.qDim())));
            if (c.attnOutBias()) l.add(vec(p + TensorNames.ATTN_OUT_BIAS, d, Init.NORMAL, 0.1));
            if (!phi) l.add(vec(p + TensorNames.FFN_NORM, d, Init.ONES_PLUS, 0.1));
            if (c.gatedMlp()) l.add(mat(p + TensorNames.FFN_GATE, s.hidden, d, m, 1.0 / Math.sqrt(d)));
            l.add(mat(p + TensorNames.FFN_UP, s.hidden, d, m, 1.0 / Math.sqrt(d)));
            if (c.mlpBias()) l.add(vec(p + TensorNames.FFN_UP_BIAS, s.hidden, Init.NORMAL, 0.2));
            // Phi-2: a smaller MLP share of the residual, because llama.cpp's GELU (an F16 lookup table) is only
            // F16-accurate and would otherwise move top-1 probabilities by ~3e-3 against the exact GELU
            l.add(mat(p + TensorNames.FFN_DOWN, d, s.hidden, m, (phi ? PHI_DOWN : 1.0) / Math.sqrt(s.hidden)));
            if (c.mlpBias()) l.add(vec(p + TensorNames.FFN_DOWN_BIAS, d, Init.NORMAL, 0.1));
        }
        l.add(new TensorSpec(TensorNames.OUTPUT_NORM, 1, d, true, DType.F32, Init.ONES_PLUS, 0.1, false, outNormScale));
        if (phi) l.add(vec(TensorNames.OUTPUT_NORM_BIAS, d, Init.NORMAL, 0.1));
        if (!s.tied) l.add(new TensorSpec(TensorNames.OUTPUT, v, d, false, m, Init.NORMAL, s.logitStd / Math.sqrt(d), true));
        if (c.outputBias()) l.add(new TensorSpec(TensorNames.OUTPUT_BIAS, 1, v, true, DType.F32, Init.NORMAL, 0.5, true));
        return l;
    }

    private static TensorSpec mat(String name, long rows, long cols, DType dt, double std) {
        return new TensorSpec(name, rows, cols, false, dt, Init.NORMAL, std, false);
    }

    private static TensorSpec vec(String name, long n, Init init, double std) {
        return new TensorSpec(name, 1, n, true, DType.F32, init, std, false);
    }

    /** Fills one tensor row by row from its own generator (seeded by the model seed and the tensor name). */
    private static Tensor generate(TensorSpec t, long seed, Storage storage, Set<Integer> controlIds) throws IOException {
        long n = t.rows * t.cols;
        long[] shape = t.vector ? new long[]{t.cols} : new long[]{t.rows, t.cols};
        Rng rng = new Rng(seed * 0x9E3779B97F4A7C15L ^ t.name.hashCode() * 0xC2B2AE3D27D4EB4FL);
        DType dt = t.dtype;
        // quantized targets: generate F32 then quantize (small models only)
        DType gen = dt.quantized() ? DType.F32 : dt;
        MemorySegment seg = storage.allocate(gen.bytesFor(n));
        float[] row = new float[(int) t.cols];
        double a = Math.sqrt(3) * t.scale; // uniform(-a, a) has standard deviation `scale`
        for (long r = 0; r < t.rows; r++) {
            boolean zero = !t.vector && t.zeroControlRows && controlIds.contains((int) r);
            for (int i = 0; i < row.length; i++) {
                float u = rng.nextSigned();
                row[i] = switch (t.init) {
                    case NORMAL -> (float) (a * u);
                    case ONES_PLUS -> (float) (t.gain * (1.0 + a * u));
                    case ZERO -> 0f;
                };
                if (t.vector && t.zeroControlRows && controlIds.contains(i)) row[i] = -5f; // output bias of control ids
            }
            if (zero) java.util.Arrays.fill(row, 0f);
            long off = gen.bytesFor(r * t.cols);
            switch (gen) {
                case F32 -> MemorySegment.copy(row, 0, seg, Tensor.F32_LE, off, row.length);
                case F16 -> {
                    for (int i = 0; i < row.length; i++) seg.set(Tensor.I16_LE, off + 2L * i, Float.floatToFloat16(row[i]));
                }
                case BF16 -> {
                    for (int i = 0; i < row.length; i++) seg.set(Tensor.I16_LE, off + 2L * i, Quantize.fp32ToBf16(row[i]));
                }
                default -> throw new IllegalStateException();
            }
        }
        Tensor out = new Tensor(t.name, gen, shape, seg);
        return dt.quantized() ? Quantize.quantize(out, dt) : out;
    }

    /** xorshift64* : fast, deterministic, platform-independent. */
    private static final class Rng {
        private long s;

        Rng(long seed) { s = seed == 0 ? 0x9E3779B97F4A7C15L : seed; }

        long next() {
            s ^= s >>> 12;
            s ^= s << 25;
            s ^= s >>> 27;
            return s * 0x2545F4914F6CDD1DL;
        }

        /** Uniform in [-1, 1). */
        float nextSigned() { return (next() >>> 40) * 0x1.0p-23f - 1f; }
    }

    /** Off-heap or file-backed memory for the weights. */
    private interface Storage {
        MemorySegment allocate(long bytes) throws IOException;

        static Storage heapless() {
            return bytes -> Arena.ofAuto().allocate(Math.max(bytes, 1), 64).asSlice(0, bytes);
        }

        static Storage mapped(Path dir, long total, List<AutoCloseable> resources) {
            try {
                Path d = dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"));
                Files.createDirectories(d);
                Path file = Files.createTempFile(d, "synthetic-", ".weights");
                Arena arena = Arena.ofShared();
                MemorySegment all;
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    all = ch.map(FileChannel.MapMode.READ_WRITE, 0, total + 64L * 1024, arena);
                }
                resources.add(() -> {
                    arena.close();
                    Files.deleteIfExists(file);
                });
                long[] cursor = {0};
                return bytes -> {
                    long off = (cursor[0] + 63) & ~63L;
                    cursor[0] = off + bytes;
                    return all.asSlice(off, bytes);
                };
            } catch (IOException e) {
                throw new TaylorMlpException("cannot create the temporary weight file: " + e.getMessage(), e);
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // best effort
        }
    }

    private static Set<Integer> controlIds(Tokenizer t) {
        Set<Integer> s = new HashSet<>();
        if (t.bosId() >= 0) s.add(t.bosId());
        if (t.eosId() >= 0) s.add(t.eosId());
        if (t instanceof ByteLevelBpeTokenizer b) {
            for (int id = 0; id < b.vocabSize(); id++) if (b.tokenType(id) == TokenType.CONTROL) s.add(id);
        }
        if (t instanceof ScoreBpeTokenizer sp) {
            for (int id = 0; id < sp.vocabSize(); id++) {
                int ty = sp.tokenType(id);
                if (ty == TokenType.CONTROL || ty == TokenType.UNKNOWN) s.add(id);
            }
        }
        return s;
    }

    // ------------------------------------------------------------------------------------------ vocabularies

    public static Tokenizer tokenizer(VocabKind k) {
        return switch (k) {
            case TOK512 -> tok512();
            case BYTE_LEVEL_SMALL -> smallByteLevel();
            case BYTE_LEVEL_LLAMA3 -> llama3ByteLevel();
        };
    }

    /** The stories260K 512-token SentencePiece vocabulary (bundled copy of llama2.c's tok512.bin). */
    public static ScoreBpeTokenizer tok512() {
        try (InputStream in = SyntheticModels.class.getResourceAsStream("tok512.bin")) {
            if (in == null) throw new TaylorMlpException("resource tok512.bin missing from the build");
            Path tmp = Files.createTempFile("tok512", ".bin");
            try {
                Files.write(tmp, in.readAllBytes());
                return ScoreBpeTokenizer.fromLlama2c(tmp, 512);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new TaylorMlpException("cannot read tok512.bin: " + e.getMessage(), e);
        }
    }

    private static final String[] WORDS = ("the and was once upon time there little girl boy she he they her his "
            + "with for that said very happy play park big dog cat day sun tree friend mom went saw had wanted to of in "
            + "it on is you not be at all can we one so what when then out up").split(" ");

    /**
     * 256 byte tokens (ids = byte values, GPT-2 alphabet), merges that build common English words with and without
     * a leading space ('Ġ'), then {@code <|endoftext|>}, {@code <|im_start|>}, {@code <|im_end|>} as control tokens.
     * BOS = EOS = {@code <|endoftext|>}; no BOS is added to prompts (as Qwen2 and Phi-2).
     */
    public static ByteLevelBpeTokenizer smallByteLevel() {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(byteChar(b)));
        List<String> merges = new ArrayList<>();
        Set<String> known = new HashSet<>(tokens);
        for (String w : WORDS) {
            for (String word : new String[]{w, byteChar(' ') + w}) {
                String cur = String.valueOf(word.charAt(0));
                for (int i = 1; i < word.length(); i++) {
                    String next = String.valueOf(word.charAt(i));
                    String merged = cur + next;
                    if (known.add(merged)) {
                        merges.add(cur + " " + next);
                        tokens.add(merged);
                    }
                    cur = merged;
                }
            }
        }
        int eot = tokens.size();
        tokens.add("<|endoftext|>");
        tokens.add("<|im_start|>");
        tokens.add("<|im_end|>");
        int[] types = new int[tokens.size()];
        java.util.Arrays.fill(types, TokenType.NORMAL);
        types[eot] = types[eot + 1] = types[eot + 2] = TokenType.CONTROL;
        return ByteLevelBpeTokenizer.fromVocab(tokens.toArray(String[]::new), merges.toArray(String[]::new), types, eot, eot,
                "qwen2", TokenizerOptions.DEFAULTS.withAddBos(false));
    }

    /**
     * A Llama-3-sized byte-level vocabulary: 256 byte tokens, 127,744 generated merges (each the concatenation of an
     * earlier token and a letter), 256 control tokens from id 128000.
     */
    public static ByteLevelBpeTokenizer llama3ByteLevel() {
        int normal = 128000;
        List<String> tokens = new ArrayList<>(128256);
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(byteChar(b)));
        Set<String> known = new HashSet<>(tokens);
        List<String> merges = new ArrayList<>(normal - 256);
        String letters = "etaoinshrdlucmfwypvbgkqjxzETAOINSHRDLUCMFWYPVBGKQJXZ";
        outer:
        for (int a = 0; ; a++) {
            String left = tokens.get(a);
            for (int j = 0; j < letters.length(); j++) {
                String right = String.valueOf(letters.charAt(j));
                String merged = left + right;
                if (known.add(merged)) {
                    merges.add(left + " " + right);
                    tokens.add(merged);
                    if (tokens.size() == normal) break outer;
                }
            }
        }
        for (int i = 0; i < 256; i++) {
            tokens.add(switch (i) {
                case 0 -> "<|begin_of_text|>";
                case 1 -> "<|end_of_text|>";
                case 6 -> "<|start_header_id|>";
                case 7 -> "<|end_header_id|>";
                case 9 -> "<|eot_id|>";
                default -> "<|reserved_special_token_" + i + "|>";
            });
        }
        int[] types = new int[tokens.size()];
        java.util.Arrays.fill(types, TokenType.NORMAL);
        for (int i = normal; i < types.length; i++) types[i] = TokenType.CONTROL;
        return ByteLevelBpeTokenizer.fromVocab(tokens.toArray(String[]::new), merges.toArray(String[]::new), types, normal,
                normal + 1, "llama-bpe", TokenizerOptions.DEFAULTS.withAddBos(true));
    }

    /** GPT-2's printable spelling of byte {@code b}. */
    static char byteChar(int b) {
        int next = 256;
        for (int x = 0; x < 256; x++) {
            boolean printable = (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
            if (x == b) return (char) (printable ? x : next);
            if (!printable) next++;
        }
        throw new IllegalArgumentException("not a byte: " + b);
    }
}
