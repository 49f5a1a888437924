package org.taylormlp.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.format.safetensors.SafetensorsFolder;
import org.taylormlp.format.safetensors.SafetensorsWriter;
import org.taylormlp.model.Architecture;
import org.taylormlp.model.HfNames;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Hugging Face folder's JSON: {@code config.json} and {@code model.safetensors.index.json}, as one input split by
 * {@link FuzzHarness#split}. The folder also holds two fixed, valid shards ({@link #SHARDS}). The config goes
 * through the loader ({@code ModelLoader.loadHfFolder}, which parses and checks it before it looks for the
 * tokenizer, absent here on purpose), the index through {@link SafetensorsFolder#open}, then every tensor is read.
 */
class HfFolderFuzzTest {
    /** Shard file name -> tensor names it holds (HF llama names); the seeds' indexes refer to these. */
    static final Map<String, String[]> SHARDS = new LinkedHashMap<>();

    static {
        SHARDS.put("model-00001-of-00002.safetensors", new String[] {"model.embed_tokens.weight", "model.norm.weight"});
        SHARDS.put("model-00002-of-00002.safetensors", new String[] {"model.layers.0.mlp.up_proj.weight", "lm_head.weight"});
    }

    private static final Map<String, byte[]> SHARD_BYTES = shardBytes();

    private static Map<String, byte[]> shardBytes() {
        try {
            Map<String, byte[]> out = new LinkedHashMap<>();
            Path tmp = Files.createTempFile("shard", ".safetensors");
            try {
                for (Map.Entry<String, String[]> e : SHARDS.entrySet()) {
                    SafetensorsWriter w = new SafetensorsWriter().putMetadata("format", "pt");
                    for (String n : e.getValue()) w.addTensor(Tensor.ofFloats(n, new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 4));
                    w.write(tmp);
                    out.put(e.getKey(), Files.readAllBytes(tmp));
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest
    void fuzz(byte[] in) {
        byte[][] parts = FuzzHarness.split(in);
        FuzzHarness.check("hf-folder", in, FuzzHarness.READER, null, dir -> {
            Files.write(dir.resolve("config.json"), parts[0]);
            Files.write(dir.resolve(SafetensorsFolder.INDEX_FILE), parts[1]);
            for (Map.Entry<String, byte[]> e : SHARD_BYTES.entrySet()) Files.write(dir.resolve(e.getKey()), e.getValue());
            try {
                ModelLoader.loadHfFolder(dir).close();
                throw new AssertionError("loaded a folder without tokenizer.json");
            } catch (TaylorMlpException expected) {
                // config errors, or (config accepted) the missing tokenizer
            }
            try (SafetensorsFolder f = ModelLoader.io(dir, () -> SafetensorsFolder.open(dir))) {
                for (Tensor t : f.tensors()) {
                    HfNames.toCanonical(Architecture.LLAMA, t.name());
                    t.toFloats();
                }
            }
        });
    }
}
