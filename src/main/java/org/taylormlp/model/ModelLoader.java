package org.taylormlp.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.taylormlp.format.MappedFile;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.format.gguf.GgufFile;
import org.taylormlp.format.gguf.GgufKeys;
import org.taylormlp.format.llama2c.Llama2cReader;
import org.taylormlp.format.safetensors.SafetensorsFile;
import org.taylormlp.format.safetensors.SafetensorsFolder;
import org.taylormlp.tensor.Tensor;
import org.taylormlp.tokenizer.HfTokenizer;
import org.taylormlp.tokenizer.ScoreBpeTokenizer;
import org.taylormlp.tokenizer.Tokenizer;
import org.taylormlp.tokenizer.Tokenizers;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Opens any supported checkpoint: a GGUF file, a Hugging Face folder (config.json + safetensors + tokenizer.json),
 * a llama2.c {@code .bin} (+ tokenizer.bin), or a taylormlp release (a safetensors file with taylormlp metadata,
 * see {@code org.taylormlp.taylor.ReleaseReader}). The format is recognised from the bytes, never from names.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /**
     * Model metadata key recording where the tokenizer came from, so that tools (the release writer) can embed it:
     * {@code {kind: llama2c, path}}, {@code {kind: gguf, metadata: {tokenizer.* keys}}} or {@code {kind: hf, dir}}.
     */
    public static final String TOKENIZER_SOURCE = "tokenizer.source";

    /**
     * Opens taylormlp releases. The taylor package implements it (a layer above this one), so callers pass it in:
     * {@code org.taylormlp.runtime.Models} does; {@link #load(Path, Path)} without one refuses releases.
     */
    /** The {@code format} metadata value of a release (taylor.ReleaseFormat.FORMAT; this layer cannot import it). */
    private static final String RELEASE_FORMAT = "taylormlp-release";

    public interface ReleaseOpener {
        boolean isRelease(SafetensorsFile file);

        Model open(SafetensorsFile file);
    }

    /** A checkpoint (not a release: see {@link #load(Path, Path, ReleaseOpener)}). */
    public static Model load(Path path) {
        return load(path, null, null);
    }

    /** A checkpoint (not a release: see {@link #load(Path, Path, ReleaseOpener)}). */
    public static Model load(Path path, Path tokenizerPath) {
        return load(path, tokenizerPath, null);
    }

    /**
     * @param tokenizerPath for llama2.c checkpoints: tokenizer.bin (default: looked up beside the model)
     * @param releases      opens taylormlp releases, or null to refuse them with a clear error
     */
    public static Model load(Path path, Path tokenizerPath, ReleaseOpener releases) {
        if (Files.isDirectory(path)) return loadHfFolder(path);
        if (!Files.isRegularFile(path)) throw new ModelFormatException(path, "no such file or folder");
        byte[] head = readHead(path, 8);
        if (head.length >= 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') return loadGguf(path);
        // A damaged GGUF or safetensors file (a flipped magic bit, a truncated or absurd header) gets its own reader's
        // error rather than the llama2.c reader's: by a magic one or two bits off, or by its name unless it is text.
        String name = path.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        boolean text = looksLikeText(path);
        if (nearGgufMagic(head) || (name.endsWith(".gguf") && !text)) return loadGguf(path);
        if (looksLikeSafetensors(head, path) || (name.endsWith(".safetensors") && !text)) {
            SafetensorsFile sf = io(path, () -> SafetensorsFile.open(path));
            if (releases != null && releases.isRelease(sf)) return releases.open(sf);
            boolean release = RELEASE_FORMAT.equals(sf.metadata().get("format"));
            sf.close();
            if (release) {
                throw new ModelFormatException(path, "a taylormlp release; open it through org.taylormlp.runtime.Models or Engine");
            }
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null && Files.isRegularFile(parent.resolve("config.json"))) return loadHfFolder(parent);
            throw new ModelFormatException(path, "a safetensors file without config.json beside it; pass the folder");
        }
        try {
            return loadLlama2c(path, tokenizerPath);
        } catch (ModelFormatException e) {
            if (e.getMessage() == null || !e.getMessage().contains("implausible header")) throw e;
            throw new ModelFormatException(path, "not a model file: not GGUF (no GGUF magic), not safetensors (no JSON header), "
                    + "not a llama2.c checkpoint (implausible header)" + (looksLikeText(path) ? "; it looks like a text file" : ""), e);
        }
    }

    /** True when the first four bytes differ from "GGUF" in one or two bits, or the file is a cut "GGUF" (1 to 3 bytes). */
    private static boolean nearGgufMagic(byte[] head) {
        byte[] magic = {'G', 'G', 'U', 'F'};
        if (head.length < 4) return head.length > 0 && Arrays.equals(head, Arrays.copyOf(magic, head.length));
        int bits = 0;
        for (int i = 0; i < 4; i++) bits += Integer.bitCount((head[i] ^ magic[i]) & 0xff);
        return bits > 0 && bits <= 2;
    }

    /** True when the first 512 bytes decode as UTF-8 without control characters other than whitespace. */
    private static boolean looksLikeText(Path p) {
        byte[] b = readHead(p, 512);
        if (b.length == 0) return false;
        try {
            String s = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(b, 0, b.length)).toString();
            return s.chars().allMatch(c -> c >= 32 || c == '\n' || c == '\r' || c == '\t');
        } catch (java.nio.charset.CharacterCodingException e) {
            // a multi-byte character cut at byte 512 also lands here: accept when the rest was text
            return false;
        }
    }

    /** An I/O action whose IOException becomes a ModelFormatException naming the file. */
    public interface IoCall<T> {
        T call() throws IOException;
    }

    public static <T> T io(Path p, IoCall<T> c) {
        try {
            return c.call();
        } catch (IOException e) {
            throw new ModelFormatException(p, "cannot read: " + e, e);
        }
    }

    private static byte[] readHead(Path p, int n) {
        try (InputStream in = Files.newInputStream(p)) {
            return in.readNBytes(n);
        } catch (IOException e) {
            throw new ModelFormatException(p, "cannot read: " + e.getMessage(), e);
        }
    }

    private static boolean looksLikeSafetensors(byte[] head, Path p) {
        if (head.length < 8) return false;
        long n = 0;
        for (int i = 7; i >= 0; i--) n = (n << 8) | (head[i] & 0xff);
        if (n <= 1 || n > 100_000_000L) return false;
        byte[] b = readHead(p, 9);
        return b.length == 9 && b[8] == '{';
    }

    // ---------------------------------------------------------------- llama2.c

    public static Model loadLlama2c(Path path, Path tokenizerPath) {
        MappedFile f = MappedFile.open(path);
        try {
            Llama2cReader.Result r = Llama2cReader.read(f);
            ModelConfig config = llama2cConfig(r.header());
            Path tok = tokenizerPath != null ? tokenizerPath : findLlama2cTokenizer(path);
            Tokenizer tokenizer = ScoreBpeTokenizer.fromLlama2c(tok, config.vocabSize());
            Map<String, Object> md = new LinkedHashMap<>();
            md.put(TOKENIZER_SOURCE, new TokenizerSource.Llama2c(tok));
            return new Model(path, "llama2c", config, llama2cTensors(r), tokenizer, md, List.of(f));
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** llama2.c checkpoints are Llama models with RMSNorm eps 1e-5, θ = 10000, adjacent RoPE pairs, BOS 1, EOS 2. */
    public static ModelConfig llama2cConfig(Llama2cReader.Header h) {
        return ModelConfig.builder(Architecture.LLAMA).dim(h.dim()).hiddenDim(h.hidden()).nLayers(h.layers()).nHeads(h.heads())
                .nKvHeads(h.kvHeads()).headDim(h.headSize()).vocabSize(h.vocab()).contextLength(h.seqLen())
                .tiedEmbeddings(h.sharedClassifier()).build();
    }

    /** The llama2.c names of {@link Llama2cReader} mapped to the engine's (GGUF) names, per-layer slices of the stacks. */
    public static Map<String, Tensor> llama2cTensors(Llama2cReader.Result r) {
        Map<String, Tensor> in = r.tensors(), t = new LinkedHashMap<>();
        t.put(TensorNames.TOKEN_EMBD, in.get("token_embedding_table").withName(TensorNames.TOKEN_EMBD));
        String[][] perLayer = {{"rms_att_weight", TensorNames.ATTN_NORM}, {"wq", TensorNames.ATTN_Q}, {"wk", TensorNames.ATTN_K},
                {"wv", TensorNames.ATTN_V}, {"wo", TensorNames.ATTN_OUT}, {"rms_ffn_weight", TensorNames.FFN_NORM},
                {"w1", TensorNames.FFN_GATE}, {"w2", TensorNames.FFN_DOWN}, {"w3", TensorNames.FFN_UP}};
        for (int l = 0; l < r.header().layers(); l++) {
            for (String[] m : perLayer) t.put(TensorNames.blk(l, m[1]), layerOf(in.get(m[0]), l));
        }
        t.put(TensorNames.OUTPUT_NORM, in.get("rms_final_weight").withName(TensorNames.OUTPUT_NORM));
        if (in.containsKey("wcls")) t.put(TensorNames.OUTPUT, in.get("wcls").withName(TensorNames.OUTPUT));
        return t;
    }

    /** Layer {@code l} of a stacked [layers, ...] tensor. */
    private static Tensor layerOf(Tensor stacked, int l) {
        long[] s = stacked.shape();
        long[] inner = java.util.Arrays.copyOfRange(s, 1, s.length);
        long per = stacked.byteSize() / s[0];
        return new Tensor(stacked.name() + "." + l, stacked.dtype(), inner, stacked.data().asSlice(l * per, per));
    }

    private static Path findLlama2cTokenizer(Path model) {
        Path dir = model.toAbsolutePath().getParent();
        Path std = dir.resolve("tokenizer.bin");
        if (Files.isRegularFile(std)) return std;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "tok*.bin")) {
            for (Path p : ds) return p;
        } catch (IOException e) {
            // fall through to the error below
        }
        throw new ModelFormatException(model, "missing tokenizer: no tokenizer.bin or tok*.bin beside the llama2.c checkpoint; pass --tokenizer");
    }

    // ---------------------------------------------------------------- GGUF

    public static Model loadGguf(Path path) {
        GgufFile g = io(path, () -> GgufFile.open(path));
        try {
            if (g.trailingBytes() > 0) {
                System.err.println("notice: " + path.getFileName() + ": " + g.trailingBytes() + " bytes after the last tensor"
                        + " (from offset " + g.dataEnd() + ") are ignored; `taylormlp verify` reports them");
            }
            String archName = g.getString(GgufKeys.ARCHITECTURE);
            if (archName == null) throw new ModelFormatException(path, "missing " + GgufKeys.ARCHITECTURE);
            Architecture arch = Architecture.fromGguf(archName);
            if (arch == null) throw new ModelFormatException(path, "unknown architecture '" + archName
                    + "' (supported: llama, mistral, qwen2, phi2)");
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Tensor t : g.tensors()) tensors.put(t.name(), t);
            ModelConfig cfg = ggufConfig(path, g, arch, tensors);
            Tokenizer tok = Tokenizers.fromGgufMetadata(g.metadata(), path);
            Map<String, Object> md = new LinkedHashMap<>();
            md.put("gguf.version", g.version());
            Map<String, Object> tokMd = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : g.metadata().entrySet()) {
                if (e.getKey().startsWith(GgufKeys.TOKENIZER_PREFIX)) tokMd.put(e.getKey(), e.getValue());
            }
            md.put(TOKENIZER_SOURCE, new TokenizerSource.Gguf(tokMd));
            String name = g.getString(GgufKeys.NAME);
            if (name != null) md.put(GgufKeys.NAME, name);
            return new Model(path, "gguf", cfg, tensors, tok, md, List.of(g));
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    private static ModelConfig ggufConfig(Path path, GgufFile g, Architecture arch, Map<String, Tensor> tensors) {
        String a = g.getString(GgufKeys.ARCHITECTURE);
        int dim = requireInt(path, g, GgufKeys.of(GgufKeys.EMBEDDING_LENGTH, a));
        int hidden = requireInt(path, g, GgufKeys.of(GgufKeys.FEED_FORWARD_LENGTH, a));
        int layers = requireInt(path, g, GgufKeys.of(GgufKeys.BLOCK_COUNT, a));
        int heads = requireInt(path, g, GgufKeys.of(GgufKeys.ATTENTION_HEAD_COUNT, a));
        int kvHeads = (int) g.getLong(GgufKeys.of(GgufKeys.ATTENTION_HEAD_COUNT_KV, a), heads);
        if (heads <= 0) throw new ModelFormatException(path, "attention.head_count must be positive, got " + heads);
        int headDim = (int) g.getLong(GgufKeys.of(GgufKeys.ATTENTION_KEY_LENGTH, a), heads > 0 ? dim / heads : 0);
        int ctx = (int) Math.min(g.getLong(GgufKeys.of(GgufKeys.CONTEXT_LENGTH, a), 2048), 1 << 20);
        Tensor embd = tensors.get(TensorNames.TOKEN_EMBD);
        if (embd == null) throw new ModelFormatException(path, "missing tensor '" + TensorNames.TOKEN_EMBD + "'");
        int vocab = Math.toIntExact(embd.dim(0));
        float eps = (float) (arch.normType() == ModelConfig.NormType.LAYER ? g.getDouble(GgufKeys.of(GgufKeys.ATTENTION_LAYERNORM_EPS, a), 1e-5)
                : g.getDouble(GgufKeys.of(GgufKeys.ATTENTION_LAYERNORM_RMS_EPS, a), 1e-5));
        int rotary = (int) g.getLong(GgufKeys.of(GgufKeys.ROPE_DIMENSION_COUNT, a), headDim);
        double theta = g.getDouble(GgufKeys.of(GgufKeys.ROPE_FREQ_BASE, a), 10000.0);
        int window = (int) g.getLong(GgufKeys.of(GgufKeys.ATTENTION_SLIDING_WINDOW, a), 0);
        boolean tied = !tensors.containsKey(TensorNames.OUTPUT);
        int bos = (int) g.getLong(GgufKeys.TOKENIZER_BOS_ID, 1);
        int eos = (int) g.getLong(GgufKeys.TOKENIZER_EOS_ID, 2);
        // norm, RoPE pairing (GGUF layout), residual and MLP form, activation: the family's (Architecture)
        ModelConfig cfg = ModelConfig.builder(arch).dim(dim).hiddenDim(hidden).nLayers(layers).nHeads(heads).nKvHeads(kvHeads)
                .headDim(headDim).vocabSize(vocab).contextLength(ctx).normEps(eps).ropeTheta(theta).rotaryDim(rotary)
                .slidingWindow(window)
                .attnQkvBias(tensors.containsKey(TensorNames.blk(0, TensorNames.ATTN_Q_BIAS)))
                .attnOutBias(tensors.containsKey(TensorNames.blk(0, TensorNames.ATTN_OUT_BIAS)))
                .mlpBias(tensors.containsKey(TensorNames.blk(0, TensorNames.FFN_UP_BIAS)))
                .outputBias(tensors.containsKey(TensorNames.OUTPUT_BIAS)).tiedEmbeddings(tied).bosId(bos).eosId(eos).build();
        String problem = cfg.problem();
        if (problem != null) throw new ModelFormatException(path, problem);
        return cfg;
    }

    private static int requireInt(Path path, GgufFile g, String key) {
        long v = g.getLong(key, Long.MIN_VALUE);
        if (v == Long.MIN_VALUE) throw new ModelFormatException(path, "missing metadata key '" + key + "'");
        if (v <= 0 || v > Integer.MAX_VALUE) throw new ModelFormatException(path, "metadata '" + key + "' = " + v + " is out of range");
        return (int) v;
    }

    // ---------------------------------------------------------------- Hugging Face folder

    private static final ObjectMapper JSON = new ObjectMapper();

    public static Model loadHfFolder(Path dir) {
        Path cfgPath = dir.resolve("config.json");
        if (!Files.isRegularFile(cfgPath)) throw new ModelFormatException(dir, "not a model folder: no config.json");
        JsonNode c;
        try {
            c = JSON.readTree(cfgPath.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(cfgPath, "invalid JSON: " + e.getMessage(), e);
        }
        ModelConfig cfg = hfConfig(cfgPath, c);
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new ModelFormatException(dir, "missing tokenizer: no tokenizer.json in the model folder");
        }
        SafetensorsFolder st = io(dir, () -> SafetensorsFolder.open(dir));
        try {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Tensor t : st.tensors()) {
                String canon = HfNames.toCanonical(cfg.architecture(), t.name());
                if (canon == null) continue; // e.g. rotary_emb.inv_freq buffers: not weights
                tensors.put(canon, t.withName(canon));
            }
            if (cfg.tiedEmbeddings()) tensors.remove(TensorNames.OUTPUT);
            Tokenizer tok = HfTokenizer.load(dir);
            Map<String, Object> md = new LinkedHashMap<>();
            md.put("hf.model_type", c.path("model_type").asText());
            md.put(TOKENIZER_SOURCE, new TokenizerSource.HfFolder(dir));
            Path gen = dir.resolve("generation_config.json");
            if (Files.isRegularFile(gen)) md.put("hf.generation_config", gen.toString());
            return new Model(dir, "hf", cfg, tensors, tok, md, List.of(st, tok instanceof AutoCloseable ac ? ac : () -> {}));
        } catch (RuntimeException e) {
            st.close();
            throw e;
        }
    }

    static ModelConfig hfConfig(Path file, JsonNode c) {
        String type = c.path("model_type").asText(null);
        Architecture arch = Architecture.fromHfModelType(type);
        if (arch == null) throw new ModelFormatException(file, "unknown or missing model_type '" + type
                + "' (supported: llama, mistral, qwen2, phi)");
        int dim = posInt(file, c, "hidden_size");
        int hidden = posInt(file, c, "intermediate_size");
        int layers = posInt(file, c, "num_hidden_layers");
        int heads = posInt(file, c, "num_attention_heads");
        int kvHeads = c.has("num_key_value_heads") && !c.get("num_key_value_heads").isNull()
                ? posInt(file, c, "num_key_value_heads") : heads;
        int headDim = c.hasNonNull("head_dim") ? posInt(file, c, "head_dim") : dim / heads;
        int vocab = posInt(file, c, "vocab_size");
        int ctx = c.hasNonNull("max_position_embeddings") ? posInt(file, c, "max_position_embeddings") : 2048;
        boolean phi = arch == Architecture.PHI2;
        float eps = (float) (phi ? c.path("layer_norm_eps").asDouble(1e-5) : c.path("rms_norm_eps").asDouble(1e-6));
        double theta = c.path("rope_theta").asDouble(10000.0);
        int rotary = headDim;
        if (c.hasNonNull("partial_rotary_factor")) {
            rotary = (int) (headDim * c.get("partial_rotary_factor").asDouble());
            rotary -= rotary % 2;
        }
        ModelConfig.RopeScaling scaling = null;
        JsonNode rs = c.get("rope_scaling");
        if (rs != null && !rs.isNull()) {
            String rt = rs.path("rope_type").asText(rs.path("type").asText(""));
            if (!rt.equals("llama3")) throw new ModelFormatException(file, "unsupported rope_scaling type '" + rt + "'");
            scaling = new ModelConfig.RopeScaling(rs.path("factor").asDouble(8), rs.path("low_freq_factor").asDouble(1),
                    rs.path("high_freq_factor").asDouble(4), rs.path("original_max_position_embeddings").asInt(8192));
        }
        int window = 0;
        if (arch == Architecture.MISTRAL && c.hasNonNull("sliding_window")) window = c.get("sliding_window").asInt();
        if (arch == Architecture.QWEN2 && c.path("use_sliding_window").asBoolean(false) && c.hasNonNull("sliding_window")) {
            window = c.get("sliding_window").asInt();
        }
        String act = c.path("hidden_act").asText(phi ? "gelu_new" : "silu");
        ModelConfig.Activation activation = switch (act) {
            case "silu", "swish" -> ModelConfig.Activation.SILU;
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> ModelConfig.Activation.GELU_TANH;
            case "gelu" -> ModelConfig.Activation.GELU_ERF;
            default -> throw new ModelFormatException(file, "unsupported hidden_act '" + act + "'");
        };
        boolean tied = c.path("tie_word_embeddings").asBoolean(false);
        boolean qkvBias = arch.qkvBias() || c.path("attention_bias").asBoolean(false);
        int bos = firstInt(c.get("bos_token_id"), 1);
        int eos = firstInt(c.get("eos_token_id"), 2);
        // HF checkpoints keep Q/K in the NEOX (half-split) pairing for every family
        ModelConfig cfg = ModelConfig.builder(arch).dim(dim).hiddenDim(hidden).nLayers(layers).nHeads(heads).nKvHeads(kvHeads)
                .headDim(headDim).vocabSize(vocab).contextLength(ctx).normEps(eps).ropeTheta(theta)
                .ropeStyle(ModelConfig.RopeStyle.NEOX).rotaryDim(rotary).ropeScaling(scaling).slidingWindow(window)
                .activation(activation).attnQkvBias(qkvBias).attnOutBias(arch.denseBiases() || c.path("attention_bias").asBoolean(false))
                .tiedEmbeddings(tied).bosId(bos).eosId(eos).build();
        String problem = cfg.problem();
        if (problem != null) throw new ModelFormatException(file, problem);
        return cfg;
    }

    private static int firstInt(JsonNode n, int dflt) {
        if (n == null || n.isNull()) return dflt;
        if (n.isArray()) return n.isEmpty() ? dflt : n.get(0).asInt(dflt);
        return n.asInt(dflt);
    }

    private static int posInt(Path file, JsonNode c, String key) {
        JsonNode n = c.get(key);
        if (n == null || !n.canConvertToInt() || n.asInt() <= 0) {
            throw new ModelFormatException(file, "config key '" + key + "' missing or not a positive integer: " + n);
        }
        return n.asInt();
    }
}
