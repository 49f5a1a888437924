package org.taylormlp.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.convert.Vocabulary;
import org.taylormlp.format.AtomicFiles;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.format.gguf.GgufType;
import org.taylormlp.format.gguf.GgufWriter;
import org.taylormlp.format.safetensors.SafetensorsFile;
import org.taylormlp.format.safetensors.SafetensorsWriter;
import org.taylormlp.model.HfNames;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.model.TensorNames;
import org.taylormlp.taylor.ReleaseFormat;
import org.taylormlp.tensor.Tensor;
import org.taylormlp.tokenizer.ScoreBpeTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes recovered weights as an ordinary checkpoint that the engine (and llama.cpp / transformers) run like any
 * other: a GGUF file with the tokenizer embedded when the release's tokenizer came from a llama2.c or GGUF source,
 * a Hugging Face folder (config.json, tokenizer files, model.safetensors) when it came from one.
 */
final class CheckpointWriter {
    private CheckpointWriter() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** All tensors of the recovered model under canonical names: the release's non-MLP tensors plus the rebuilt MLPs. */
    static Map<String, Tensor> tensors(Model release, RecoveredWeights rec) {
        ModelConfig c = release.config();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : release.tensors().entrySet()) {
            if (!isMlpOrTaylor(e.getKey())) out.put(e.getKey(), e.getValue());
        }
        for (int l = 0; l < c.nLayers(); l++) {
            RecoveredWeights.Layer r = rec.layers.get(l);
            if (r.gate != null) out.put(TensorNames.blk(l, TensorNames.FFN_GATE), Tensor.ofFloats(TensorNames.blk(l, TensorNames.FFN_GATE), r.gate, r.hidden, r.dim));
            out.put(TensorNames.blk(l, TensorNames.FFN_UP), Tensor.ofFloats(TensorNames.blk(l, TensorNames.FFN_UP), r.up, r.hidden, r.dim));
            if (r.upBias != null) out.put(TensorNames.blk(l, TensorNames.FFN_UP_BIAS), Tensor.ofFloats(TensorNames.blk(l, TensorNames.FFN_UP_BIAS), r.upBias, r.hidden));
            out.put(TensorNames.blk(l, TensorNames.FFN_DOWN), Tensor.ofFloats(TensorNames.blk(l, TensorNames.FFN_DOWN), r.down, r.dim, r.hidden));
            if (r.downBias != null) out.put(TensorNames.blk(l, TensorNames.FFN_DOWN_BIAS), Tensor.ofFloats(TensorNames.blk(l, TensorNames.FFN_DOWN_BIAS), r.downBias, r.dim));
        }
        return out;
    }

    private static boolean isMlpOrTaylor(String name) {
        if (!name.startsWith("blk.")) return false;
        String s = name.substring(name.indexOf('.', 4) + 1);
        return s.startsWith("taylor_") || s.equals(TensorNames.FFN_GATE) || s.equals(TensorNames.FFN_UP)
                || s.equals(TensorNames.FFN_DOWN) || s.equals(TensorNames.FFN_UP_BIAS) || s.equals(TensorNames.FFN_DOWN_BIAS);
    }

    /** Writes the checkpoint into {@code dir}; returns its path (a .gguf file or an HF folder). */
    static Path write(Path releasePath, Model release, RecoveredWeights rec, Path dir) {
        JsonNode tok = tokenizerJson(releasePath);
        String kind = tok.path("kind").asText("");
        Map<String, Tensor> tensors = tensors(release, rec);
        try {
            if (kind.equals("hf")) return writeHf(release.config(), tok, tensors, dir.resolve("recovered-hf"), releasePath);
            return writeGguf(release, tok, kind, tensors, dir.resolve("recovered.gguf"));
        } catch (IOException e) {
            throw new TaylorMlpException("cannot write the recovered checkpoint in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode tokenizerJson(Path releasePath) {
        try (SafetensorsFile f = SafetensorsFile.open(releasePath)) {
            String s = f.metadata().get(ReleaseFormat.KEY_TOKENIZER);
            if (s == null) throw new ModelFormatException(releasePath, "release metadata lacks the tokenizer");
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new ModelFormatException(releasePath, "cannot read the release tokenizer: " + e.getMessage(), e);
        }
    }

    private static Path writeGguf(Model release, JsonNode tok, String kind, Map<String, Tensor> tensors, Path out) throws IOException {
        ModelConfig c = release.config();
        boolean neoxByArch = c.architecture() == org.taylormlp.model.Architecture.QWEN2 || c.architecture() == org.taylormlp.model.Architecture.PHI2;
        if ((c.ropeStyle() == ModelConfig.RopeStyle.NEOX) != neoxByArch) {
            throw new TaylorMlpException("cannot write a GGUF for " + c.architecture() + " with " + c.ropeStyle() + " RoPE (GGUF implies the other layout)");
        }
        if (c.ropeScaling() != null && !tensors.containsKey("rope_freqs.weight")) {
            throw new TaylorMlpException("cannot write a GGUF with RoPE scaling but no rope_freqs.weight");
        }
        GgufWriter w = new GgufWriter();
        String a = c.architecture().ggufName();
        w.putString("general.architecture", a);
        w.putString("general.name", "recovered from a taylormlp release by taylormlp audit");
        w.putUInt32(a + ".context_length", c.contextLength());
        w.putUInt32(a + ".embedding_length", c.dim());
        w.putUInt32(a + ".feed_forward_length", c.hiddenDim());
        w.putUInt32(a + ".block_count", c.nLayers());
        w.putUInt32(a + ".attention.head_count", c.nHeads());
        w.putUInt32(a + ".attention.head_count_kv", c.nKvHeads());
        w.putUInt32(a + ".attention.key_length", c.headDim());
        w.putUInt32(a + ".attention.value_length", c.headDim());
        if (c.normType() == ModelConfig.NormType.LAYER) w.putFloat32(a + ".attention.layer_norm_epsilon", c.normEps());
        else w.putFloat32(a + ".attention.layer_norm_rms_epsilon", c.normEps());
        w.putUInt32(a + ".rope.dimension_count", c.rotaryDim());
        w.putFloat32(a + ".rope.freq_base", (float) c.ropeTheta());
        if (c.slidingWindow() > 0) w.putUInt32(a + ".attention.sliding_window", c.slidingWindow());
        switch (kind) {
            case "llama2c" -> {
                if (!(release.tokenizer() instanceof ScoreBpeTokenizer)) throw new TaylorMlpException("llama2.c release without a score-BPE tokenizer");
                // the vocabulary as `convert` writes it: byte tokens as <0xNN> whatever form the tokenizer.bin had
                // (the llama2.c exporter's old format stores them as the character itself)
                Vocabulary.of(release.tokenizer(), release.source()).putGguf(w, "gpt-2");
            }
            case "gguf" -> {
                Iterator<Map.Entry<String, JsonNode>> it = tok.path("metadata").fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    putGgufValue(w, e.getKey(), e.getValue());
                }
            }
            default -> throw new ModelFormatException(null, "unknown tokenizer kind '" + kind + "' in the release");
        }
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (c.tiedEmbeddings() && e.getKey().equals(TensorNames.OUTPUT)) continue;
            w.addTensor(e.getKey(), e.getValue());
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        w.write(out);
        return out;
    }

    /** A tokenizer metadata value from the release's JSON copy of GGUF metadata, with llama.cpp's types. */
    private static void putGgufValue(GgufWriter w, String key, JsonNode v) {
        if (v.isArray()) {
            if (v.isEmpty()) return;
            JsonNode first = v.get(0);
            List<Object> l = new ArrayList<>(v.size());
            GgufType et;
            if (first.isTextual()) {
                et = GgufType.STRING;
                for (JsonNode x : v) l.add(x.asText());
            } else if (key.endsWith(".scores") || first.isFloatingPointNumber()) {
                et = GgufType.FLOAT32;
                for (JsonNode x : v) l.add((float) x.asDouble());
            } else if (first.isBoolean()) {
                et = GgufType.BOOL;
                for (JsonNode x : v) l.add(x.asBoolean());
            } else {
                et = GgufType.INT32;
                for (JsonNode x : v) l.add((int) x.asLong());
            }
            w.putArray(key, et, l);
        } else if (v.isTextual()) {
            w.putString(key, v.asText());
        } else if (v.isBoolean()) {
            w.putBool(key, v.asBoolean());
        } else if (v.isIntegralNumber()) {
            long x = v.asLong();
            if (x >= 0 && x <= 0xffff_ffffL) w.putUInt32(key, x);
            else w.putInt64(key, x);
        } else if (v.isNumber()) {
            w.putFloat32(key, (float) v.asDouble());
        }
    }

    private static Path writeHf(ModelConfig c, JsonNode tok, Map<String, Tensor> tensors, Path dir, Path releasePath) throws IOException {
        String config = tok.path("config_json").asText(null);
        String tokJson = tok.path("tokenizer_json").asText(null);
        if (config == null || tokJson == null) {
            throw new ModelFormatException(releasePath, "release embeds no config.json/tokenizer.json for its HF source");
        }
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve("config.json"), config);
        AtomicFiles.writeString(dir.resolve("tokenizer.json"), tokJson);
        for (String f : List.of("tokenizer_config.json", "generation_config.json")) {
            JsonNode v = tok.get(f.replace('.', '_'));
            if (v != null && v.isTextual()) AtomicFiles.writeString(dir.resolve(f), v.asText());
        }
        SafetensorsWriter w = new SafetensorsWriter();
        w.putMetadata("format", "pt");
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String hf = HfNames.toHf(c.architecture(), e.getKey());
            if (hf == null) throw new TaylorMlpException("no Hugging Face name for tensor '" + e.getKey() + "'");
            w.addTensor(hf, e.getValue());
        }
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }
}
