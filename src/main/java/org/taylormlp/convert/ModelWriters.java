package org.taylormlp.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.format.AtomicFiles;
import org.taylormlp.format.gguf.GgufFile;
import org.taylormlp.format.gguf.GgufKeys;
import org.taylormlp.format.gguf.GgufWriter;
import org.taylormlp.format.safetensors.SafetensorsFolder;
import org.taylormlp.format.safetensors.SafetensorsWriter;
import org.taylormlp.model.Architecture;
import org.taylormlp.model.HfNames;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.model.TensorNames;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Quantize;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a loaded {@link Model} as a llama.cpp-compatible GGUF file or as a Hugging Face folder (config.json,
 * safetensors, tokenizer.json, tokenizer_config.json).
 *
 * <p><b>RoPE layout.</b> GGUF {@code llama} files (Llama, Mistral) rotate adjacent pairs, Hugging Face
 * checkpoints rotate half-split pairs; Qwen2 and Phi-2 rotate half-split pairs in both. When the model's
 * {@link ModelConfig#ropeStyle()} differs from what the target format implies, the Q and K rows (and their
 * biases) of every head are permuted as llama.cpp's converter does ({@code permute}: row {@code 2i+j} of the
 * adjacent layout is row {@code j·d/2+i} of the half-split layout), which is exact for every dtype (whole rows
 * are moved).
 *
 * <p><b>Dtypes.</b> With a target dtype, matrices are converted to it; 1-D tensors (norms, biases, rope factors)
 * are written as F32; matrices whose rows are not whole quantization blocks stay F32 and are listed in the
 * {@link Report}. Without one (null), tensors keep their dtypes (quantized ones become F32 in safetensors).
 *
 * <p><b>Mistral in GGUF.</b> llama.cpp reads Mistral checkpoints as architecture {@code llama} (its converter
 * writes them so); the sliding window is kept in {@code llama.attention.sliding_window}, which our loader reads.
 *
 * <p><b>Llama 3.1 RoPE scaling</b> becomes llama.cpp's {@code rope_freqs.weight} (per-pair frequency divisors)
 * plus {@code taylormlp.rope_scaling.*} keys, from which {@link #writeHf} restores {@code rope_scaling}.
 *
 * <p>Every file is written under a temporary name and renamed; a folder is assembled next to its final path and
 * moved into place.
 */
public final class ModelWriters {
    /** Default maximum shard size of safetensors folders (tensor bytes per file). */
    public static final long DEFAULT_SHARD_BYTES = 2L << 30;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ModelWriters() {}

    /** What a write did: files written and tensors that could not take the requested dtype. */
    public record Report(Path output, List<String> keptF32, List<String> permuted, long tensorBytes) {
        public String summary() {
            StringBuilder sb = new StringBuilder("wrote ").append(output).append(String.format(" (%.1f MiB of tensors)",
                    tensorBytes / 1048576.0));
            if (!permuted.isEmpty()) sb.append("\n  Q/K rows permuted for the target's RoPE layout: ").append(permuted.size()).append(" tensors");
            if (!keptF32.isEmpty()) sb.append("\n  kept as F32 (rows not whole quantization blocks): ").append(String.join(", ", keptF32));
            return sb.toString();
        }
    }

    // ------------------------------------------------------------------------------------------ GGUF

    /**
     * A view of {@code m} with a separate output matrix: when the model ties its classifier to the token
     * embeddings, {@code output.weight} becomes the same tensor under its own name (as llama.cpp's converter writes
     * llama2.c checkpoints), so a writer stores it twice and a reader need not know about tying. Untied models are
     * returned as they are. The view owns nothing; close {@code m}, not it.
     */
    public static Model untied(Model m) {
        Tensor out = m.optional(TensorNames.OUTPUT);
        if (!m.config().tiedEmbeddings() && out != null) return m;
        Map<String, Tensor> ts = new LinkedHashMap<>(m.tensors());
        ts.put(TensorNames.OUTPUT, m.require(TensorNames.TOKEN_EMBD).withName(TensorNames.OUTPUT));
        return new Model(m.source(), m.format(), m.config().withTiedEmbeddings(false), ts, m.tokenizer(), m.metadata(), List.of());
    }

    /**
     * Writes {@code m} as GGUF at {@code out}; {@code dtype} null keeps tensor dtypes; Q4_K, Q5_K and Q6_K write
     * llama.cpp's Q4_K_M, Q5_K_M and Q6_K mixes ({@link KQuantMix}).
     */
    public static Report writeGguf(Model m, DType dtype, Path out) throws IOException {
        ModelConfig c = m.config();
        Architecture arch = c.architecture();
        String a = arch == Architecture.MISTRAL ? "llama" : arch.ggufName();
        ModelConfig.RopeStyle target = ggufRopeStyle(arch);
        Vocabulary vocab = Vocabulary.of(m.tokenizer(), m.source());

        GgufWriter w = new GgufWriter();
        w.putString(GgufKeys.ARCHITECTURE, a);
        w.putString(GgufKeys.NAME, nameOf(m));
        w.putUInt32(GgufKeys.ALIGNMENT, GgufFile.DEFAULT_ALIGNMENT);
        if (dtype != null) w.putUInt32(GgufKeys.FILE_TYPE, fileType(dtype));
        w.putUInt32(GgufKeys.of(GgufKeys.CONTEXT_LENGTH, a), c.contextLength());
        w.putUInt32(GgufKeys.of(GgufKeys.EMBEDDING_LENGTH, a), c.dim());
        w.putUInt32(GgufKeys.of(GgufKeys.BLOCK_COUNT, a), c.nLayers());
        w.putUInt32(GgufKeys.of(GgufKeys.FEED_FORWARD_LENGTH, a), c.hiddenDim());
        w.putUInt32(GgufKeys.of(GgufKeys.ATTENTION_HEAD_COUNT, a), c.nHeads());
        w.putUInt32(GgufKeys.of(GgufKeys.ATTENTION_HEAD_COUNT_KV, a), c.nKvHeads());
        if (c.headDim() * c.nHeads() != c.dim()) {
            w.putUInt32(GgufKeys.of(GgufKeys.ATTENTION_KEY_LENGTH, a), c.headDim());
            w.putUInt32(GgufKeys.of(GgufKeys.ATTENTION_VALUE_LENGTH, a), c.headDim());
        }
        if (c.normType() == ModelConfig.NormType.LAYER) w.putFloat32(GgufKeys.of(GgufKeys.ATTENTION_LAYERNORM_EPS, a), c.normEps());
        else w.putFloat32(GgufKeys.of(GgufKeys.ATTENTION_LAYERNORM_RMS_EPS, a), c.normEps());
        w.putFloat32(GgufKeys.of(GgufKeys.ROPE_FREQ_BASE, a), (float) c.ropeTheta());
        w.putUInt32(GgufKeys.of(GgufKeys.ROPE_DIMENSION_COUNT, a), c.rotaryDim());
        if (c.slidingWindow() > 0) w.putUInt32(GgufKeys.of(GgufKeys.ATTENTION_SLIDING_WINDOW, a), c.slidingWindow());
        w.putUInt32(GgufKeys.of(GgufKeys.VOCAB_SIZE, a), c.vocabSize());
        vocab.putGguf(w, arch == Architecture.PHI2 ? "phi-2" : "gpt-2");

        List<String> kept = new ArrayList<>(), permuted = new ArrayList<>();
        long bytes = 0;
        Map<String, Tensor> tensors = ordered(m);
        if (c.ropeScaling() != null && !tensors.containsKey("rope_freqs.weight")) {
            if (c.ropeStyle() == ModelConfig.RopeStyle.NEOX && arch != Architecture.LLAMA && arch != Architecture.MISTRAL) {
                throw new TaylorMlpException(m.source() + ": llama3 rope scaling is only supported for llama/mistral");
            }
            tensors.put("rope_freqs.weight", Tensor.ofFloats("rope_freqs.weight", ropeFreqFactors(c), c.rotaryDim() / 2));
        }
        ModelConfig.RopeScaling rs = c.ropeScaling() != null ? c.ropeScaling() : ggufRopeScaling(m);
        if (rs != null) {
            w.putFloat64(GgufKeys.ROPE_SCALING_FACTOR, rs.factor());
            w.putFloat64(GgufKeys.ROPE_SCALING_LOW_FREQ_FACTOR, rs.lowFreqFactor());
            w.putFloat64(GgufKeys.ROPE_SCALING_HIGH_FREQ_FACTOR, rs.highFreqFactor());
            w.putUInt32(GgufKeys.ROPE_SCALING_ORIGINAL_MAX_POSITIONS, rs.originalMaxPositions());
        }
        if (arch == Architecture.PHI2 && !tensors.containsKey(TensorNames.OUTPUT)) {
            // llama.cpp's phi2 graph requires output.weight: write the tied embedding under that name too
            tensors.put(TensorNames.OUTPUT, tensors.get(TensorNames.TOKEN_EMBD).withName(TensorNames.OUTPUT));
        }
        boolean kMix = dtype == DType.Q4_K || dtype == DType.Q5_K || dtype == DType.Q6_K;
        boolean hasOutput = tensors.containsKey(TensorNames.OUTPUT);
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = reRope(c, e.getKey(), e.getValue(), target, permuted, m.source());
            DType want = kMix && t.rank() >= 2 ? KQuantMix.typeFor(dtype, e.getKey(), t, c.nLayers(), hasOutput) : dtype;
            t = convert(e.getKey(), t, want, kept, false);
            bytes += t.byteSize();
            w.addTensor(e.getKey(), t);
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        w.write(out);
        return new Report(out, kept, permuted, bytes);
    }

    /** llama.cpp's RoPE pairing per architecture: NORM (adjacent) for llama, NEOX for qwen2 and phi2. */
    public static ModelConfig.RopeStyle ggufRopeStyle(Architecture a) {
        return a == Architecture.LLAMA || a == Architecture.MISTRAL ? ModelConfig.RopeStyle.ADJACENT : ModelConfig.RopeStyle.NEOX;
    }

    private static long fileType(DType d) {
        return switch (d) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q8_0 -> 7;
            case Q5_0 -> 8;
            case Q5_1 -> 9;
            case Q6_K -> 18;
            case Q4_K -> 15; // LLAMA_FTYPE_MOSTLY_Q4_K_M (convert writes K-quants as mixes, KQuantMix)
            case Q5_K -> 17; // LLAMA_FTYPE_MOSTLY_Q5_K_M
            case BF16 -> 32;
        };
    }

    private static String nameOf(Model m) {
        Object n = m.metadata().get(GgufKeys.NAME);
        if (n != null) return n.toString();
        Path f = m.source().getFileName();
        String s = f == null ? "model" : f.toString();
        int dot = s.lastIndexOf('.');
        return dot > 0 ? s.substring(0, dot) : s;
    }

    /** Llama 3.1 scaling as llama.cpp's per-pair divisors of the base frequencies (its converter's rule). */
    public static float[] ropeFreqFactors(ModelConfig c) {
        ModelConfig.RopeScaling s = c.ropeScaling();
        int half = c.rotaryDim() / 2;
        float[] f = new float[half];
        double lowWavelen = s.originalMaxPositions() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositions() / s.highFreqFactor();
        for (int i = 0; i < half; i++) {
            double freq = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / c.rotaryDim());
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) f[i] = 1f;
            else if (wavelen > lowWavelen) f[i] = (float) s.factor();
            else {
                double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                f[i] = (float) (1.0 / ((1 - smooth) / s.factor() + smooth));
            }
        }
        return f;
    }

    /** The taylormlp.rope_scaling.* keys of a GGUF source, or null. */
    private static ModelConfig.RopeScaling ggufRopeScaling(Model m) throws IOException {
        if (!"gguf".equals(m.format()) || m.optional("rope_freqs.weight") == null) return null;
        try (GgufFile g = GgufFile.open(m.source())) {
            if (!g.has(GgufKeys.ROPE_SCALING_FACTOR)) return null;
            return new ModelConfig.RopeScaling(g.getDouble(GgufKeys.ROPE_SCALING_FACTOR, 8), g.getDouble(GgufKeys.ROPE_SCALING_LOW_FREQ_FACTOR, 1),
                    g.getDouble(GgufKeys.ROPE_SCALING_HIGH_FREQ_FACTOR, 4), (int) g.getLong(GgufKeys.ROPE_SCALING_ORIGINAL_MAX_POSITIONS, 8192));
        }
    }

    /** Tensors in a stable order: embedding, rope factors, blocks by layer, final norm, head. */
    private static Map<String, Tensor> ordered(Model m) {
        List<String> names = new ArrayList<>(m.tensors().keySet());
        names.sort(Comparator.comparingLong(ModelWriters::rank).thenComparing(Comparator.naturalOrder()));
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String n : names) out.put(n, m.tensors().get(n));
        return out;
    }

    private static long rank(String n) {
        if (n.equals(TensorNames.TOKEN_EMBD)) return 0;
        if (n.equals("rope_freqs.weight")) return 1;
        if (n.startsWith("blk.")) {
            int dot = n.indexOf('.', 4);
            try {
                return 10 + Long.parseLong(n.substring(4, dot));
            } catch (RuntimeException e) {
                return Long.MAX_VALUE - 1;
            }
        }
        return Long.MAX_VALUE;
    }

    // ------------------------------------------------------------------------------------------ Hugging Face

    /**
     * Writes {@code m} as a Hugging Face folder at {@code dir} (which must not exist or be empty); {@code dtype}
     * null keeps F32/F16/BF16 tensors and stores quantized ones as F32. More than {@code maxShardBytes} of tensors
     * gives a sharded folder with {@code model.safetensors.index.json}.
     *
     * @throws IllegalArgumentException for a quantized dtype (safetensors cannot hold it)
     */
    public static Report writeHf(Model m, DType dtype, Path dir, long maxShardBytes) throws IOException {
        return writeHf(m, dtype, dir, maxShardBytes, false);
    }

    /**
     * As {@link #writeHf(Model, DType, Path, long)}; with {@code replace}, an existing folder at {@code dir} is
     * replaced once the new one is complete (it stays as it was if the write fails).
     */
    public static Report writeHf(Model m, DType dtype, Path dir, long maxShardBytes, boolean replace) throws IOException {
        if (dtype != null && dtype.quantized()) {
            throw new IllegalArgumentException("safetensors cannot store " + dtype.name().toLowerCase()
                    + "; use f32, f16 or bf16 (or --to gguf)");
        }
        if (!replace && Files.exists(dir)) {
            boolean empty;
            try (Stream<Path> s = Files.list(dir)) {
                empty = s.findAny().isEmpty();
            }
            if (!empty) throw new TaylorMlpException(dir + ": output folder exists and is not empty");
        }
        ModelConfig c = m.config();
        Architecture arch = c.architecture();
        Vocabulary vocab = Vocabulary.of(m.tokenizer(), m.source());
        ModelConfig.RopeScaling rs = c.ropeScaling();
        if (rs == null && m.optional("rope_freqs.weight") != null) {
            rs = ggufRopeScaling(m);
            if (rs == null) throw new TaylorMlpException(m.source() + ": rope_freqs.weight without taylormlp.rope_scaling"
                    + " keys cannot be expressed in config.json");
        }
        boolean tied = !m.tensors().containsKey(TensorNames.OUTPUT) || c.tiedEmbeddings();

        SafetensorsWriter sw = new SafetensorsWriter().putMetadata("format", "pt");
        List<String> kept = new ArrayList<>(), permuted = new ArrayList<>();
        long bytes = 0;
        DType stored = null;
        for (Map.Entry<String, Tensor> e : ordered(m).entrySet()) {
            String name = e.getKey();
            if (name.equals("rope_freqs.weight")) continue; // expressed by rope_scaling
            if (tied && name.equals(TensorNames.OUTPUT)) continue;
            String hf = HfNames.toHf(arch, name);
            if (hf == null) throw new TaylorMlpException(m.source() + ": tensor '" + name + "' has no Hugging Face name for "
                    + arch.hfModelType());
            Tensor t = reRope(c, name, e.getValue(), ModelConfig.RopeStyle.NEOX, permuted, m.source());
            t = convert(name, t, dtype == null && t.dtype().quantized() ? DType.F32 : dtype, kept, true);
            if (t.rank() == 2 && stored == null) stored = t.dtype();
            bytes += t.byteSize();
            sw.addTensor(hf, t);
        }
        Path abs = dir.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        boolean done = false;
        try {
            if (bytes > maxShardBytes) sw.writeSharded(tmp, maxShardBytes);
            else sw.write(tmp.resolve(SafetensorsFolder.SINGLE_FILE));
            writeJson(tmp.resolve("config.json"), hfConfig(m, rs, tied, stored == null ? DType.F32 : stored, vocab));
            writeJson(tmp.resolve("tokenizer.json"), vocab.tokenizerJson());
            writeJson(tmp.resolve("tokenizer_config.json"), vocab.tokenizerConfigJson(c.contextLength()));
            ObjectNode gen = JSON.createObjectNode();
            if (vocab.bos() >= 0) gen.put("bos_token_id", vocab.bos());
            if (vocab.eos() >= 0) gen.put("eos_token_id", vocab.eos());
            writeJson(tmp.resolve("generation_config.json"), gen);
            if (Files.isDirectory(abs)) deleteTree(abs);
            Files.move(tmp, abs);
            done = true;
        } finally {
            if (!done) deleteTree(tmp);
        }
        return new Report(dir, kept, permuted, bytes);
    }

    private static ObjectNode hfConfig(Model m, ModelConfig.RopeScaling rs, boolean tied, DType dt, Vocabulary v) {
        ModelConfig c = m.config();
        Architecture arch = c.architecture();
        boolean phi = arch == Architecture.PHI2;
        ObjectNode j = JSON.createObjectNode();
        j.putArray("architectures").add(switch (arch) {
            case LLAMA -> "LlamaForCausalLM";
            case MISTRAL -> "MistralForCausalLM";
            case QWEN2 -> "Qwen2ForCausalLM";
            case PHI2 -> "PhiForCausalLM";
        });
        j.put("model_type", arch.hfModelType());
        j.put("hidden_size", c.dim());
        j.put("intermediate_size", c.hiddenDim());
        j.put("num_hidden_layers", c.nLayers());
        j.put("num_attention_heads", c.nHeads());
        j.put("num_key_value_heads", c.nKvHeads());
        j.put("head_dim", c.headDim());
        j.put("vocab_size", c.vocabSize());
        j.put("max_position_embeddings", c.contextLength());
        if (phi) j.put("layer_norm_eps", c.normEps());
        else j.put("rms_norm_eps", c.normEps());
        j.put("rope_theta", c.ropeTheta());
        if (phi) j.put("partial_rotary_factor", c.rotaryDim() / (double) c.headDim());
        else if (c.rotaryDim() != c.headDim()) {
            throw new TaylorMlpException(m.source() + ": partial rotary embedding cannot be expressed for " + arch.hfModelType());
        }
        j.put("hidden_act", switch (c.activation()) {
            case SILU -> "silu";
            case GELU_TANH -> "gelu_new";
            case GELU_ERF -> "gelu";
        });
        j.put("tie_word_embeddings", tied);
        if (v.bos() >= 0) j.put("bos_token_id", v.bos()); else j.putNull("bos_token_id");
        if (v.eos() >= 0) j.put("eos_token_id", v.eos()); else j.putNull("eos_token_id");
        if (arch == Architecture.LLAMA || arch == Architecture.MISTRAL) {
            if (c.attnQkvBias() != c.attnOutBias() || c.mlpBias()) {
                throw new TaylorMlpException(m.source() + ": this combination of biases cannot be expressed for " + arch.hfModelType());
            }
            j.put("attention_bias", c.attnQkvBias());
            j.put("mlp_bias", false);
        }
        if (arch == Architecture.MISTRAL) {
            if (c.slidingWindow() > 0) j.put("sliding_window", c.slidingWindow()); else j.putNull("sliding_window");
        }
        if (arch == Architecture.QWEN2) {
            j.put("use_sliding_window", c.slidingWindow() > 0);
            j.put("sliding_window", c.slidingWindow() > 0 ? c.slidingWindow() : c.contextLength());
            j.put("max_window_layers", c.nLayers());
        }
        if (rs != null) {
            j.putObject("rope_scaling").put("rope_type", "llama3").put("factor", rs.factor())
                    .put("low_freq_factor", rs.lowFreqFactor()).put("high_freq_factor", rs.highFreqFactor())
                    .put("original_max_position_embeddings", rs.originalMaxPositions());
        } else j.putNull("rope_scaling");
        j.put("torch_dtype", switch (dt) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> "float32";
        });
        return j;
    }

    private static void writeJson(Path p, ObjectNode n) throws IOException {
        byte[] b = JSON.writeValueAsBytes(n);
        AtomicFiles.write(p, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(b)));
    }

    private static void deleteTree(Path p) throws IOException { org.taylormlp.Digests.deleteTree(p); }

    // ------------------------------------------------------------------------------------------ tensors

    /** {@code t} in the target dtype following the class rules; records matrices kept as F32. */
    static Tensor convert(String name, Tensor t, DType dtype, List<String> kept, boolean safetensors) {
        if (dtype == null) return t;
        if (t.rank() < 2) return Quantize.quantize(t, DType.F32);
        if (dtype.quantized() && t.cols() % dtype.blockSize() != 0) {
            kept.add(name);
            return Quantize.quantize(t, DType.F32);
        }
        return Quantize.quantize(t, dtype);
    }

    /** Q/K weights and biases permuted when the model's RoPE layout differs from {@code target}. */
    private static Tensor reRope(ModelConfig c, String name, Tensor t, ModelConfig.RopeStyle target, List<String> permuted,
                                 Path source) {
        if (c.ropeStyle() == target) return t;
        int heads;
        if (name.endsWith("." + TensorNames.ATTN_Q) || name.endsWith("." + TensorNames.ATTN_Q_BIAS)) heads = c.nHeads();
        else if (name.endsWith("." + TensorNames.ATTN_K) || name.endsWith("." + TensorNames.ATTN_K_BIAS)) heads = c.nKvHeads();
        else return t;
        if (c.rotaryDim() != c.headDim()) {
            throw new TaylorMlpException(source + ": cannot change the RoPE layout of a partially rotary model");
        }
        permuted.add(name);
        return permuteHeads(t, heads, target == ModelConfig.RopeStyle.ADJACENT);
    }

    /**
     * Reorders the rows (elements of a vector) inside each of {@code heads} heads between the half-split and the
     * adjacent-pair RoPE layouts: adjacent row {@code 2i+j} = half-split row {@code j·half+i}.
     *
     * @param toAdjacent true: half-split → adjacent (llama.cpp's converter {@code permute}); false: the inverse
     */
    public static Tensor permuteHeads(Tensor t, int heads, boolean toAdjacent) {
        long rows = t.rank() == 1 ? t.dim(0) : t.dim(0);
        long rowBytes = t.rank() == 1 ? t.dtype().bytesFor(1) : t.dtype().bytesFor(t.size() / rows);
        if (rows % heads != 0 || (rows / heads) % 2 != 0) {
            throw new IllegalArgumentException(t.name() + ": " + rows + " rows cannot be split into " + heads + " heads of even size");
        }
        int hs = (int) (rows / heads), half = hs / 2;
        MemorySegment src = t.data();
        MemorySegment dst = Arena.ofAuto().allocate(t.byteSize(), 64);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    long adj = (long) h * hs + 2L * i + j, neox = (long) h * hs + (long) j * half + i;
                    long from = toAdjacent ? neox : adj, to = toAdjacent ? adj : neox;
                    MemorySegment.copy(src, from * rowBytes, dst, to * rowBytes, rowBytes);
                }
            }
        }
        return new Tensor(t.name(), t.dtype(), t.shape(), dst);
    }
}
