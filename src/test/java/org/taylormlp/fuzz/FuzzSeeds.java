package org.taylormlp.fuzz;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.synth.SyntheticModels.Family;
import org.taylormlp.synth.SyntheticModels.Spec;
import org.taylormlp.synth.SyntheticModels.VocabKind;
import org.taylormlp.convert.ModelWriters;
import org.taylormlp.format.gguf.GgufWriter;
import org.taylormlp.format.safetensors.SafetensorsWriter;
import org.taylormlp.model.Model;
import org.taylormlp.nn.Transformer;
import org.taylormlp.taylor.CalibrationFile;
import org.taylormlp.taylor.CalibrationStats;
import org.taylormlp.taylor.Calibrator;
import org.taylormlp.taylor.Protector;
import org.taylormlp.taylor.Selection;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.KernelsProvider;
import org.taylormlp.tensor.Quantize;
import org.taylormlp.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Writes the seed corpora of the fuzz targets with the project's own writers (GgufWriter, ModelWriters,
 * SafetensorsWriter, Protector, CalibrationFile) from micro synthetic models, into
 * {@code src/test/resources/org/taylormlp/.../<Target>Inputs/fuzz/seed-*} (Jazzer's layout: replayed by
 * {@code mvn test}, used as the starting corpus by {@code scripts/fuzz.sh}). Run by {@code scripts/fuzz-seeds.sh};
 * the output is committed. Two formats have no writer in the project and are assembled here: the llama2.c
 * checkpoint (a 28-byte header and F32 arrays) and its tokenizer.bin.
 */
public final class FuzzSeeds {
    private FuzzSeeds() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Micro models: dim 32, 2 layers, the 512-token vocabulary. */
    static Spec micro(Family f, boolean tied, DType dtype) {
        return new Spec(f, 32, 64, 2, 4, 2, 8, 8, 10000, null, 0, 64, tied, f == Family.LLAMA || f == Family.MISTRAL
                ? VocabKind.TOK512 : VocabKind.BYTE_LEVEL_SMALL, dtype, 16, 11);
    }

    public static void main(String[] args) throws Exception {
        Path res = Path.of(args.length > 0 ? args[0] : "src/test/resources");
        Path tmp = Files.createTempDirectory("fuzz-seeds");
        try {
            gguf(dir(res, "fuzz", "GgufFuzzTest"), tmp);
            safetensors(dir(res, "fuzz", "SafetensorsFuzzTest"));
            hf(dir(res, "fuzz", "HfFolderFuzzTest"), tmp);
            llama2c(dir(res, "fuzz", "Llama2cFuzzTest"));
            release(dir(res, "fuzz", "ReleaseFuzzTest"), dir(res, "fuzz", "CalibrationFuzzTest"), tmp);
            templates(dir(res, "fuzz", "ChatTemplateFuzzTest"));
            requests(dir(res, "server", "ApiRequestFuzzTest"));
        } finally {
            FuzzHarness.deleteTree(tmp);
        }
    }

    private static Path dir(Path res, String pkg, String cls) throws IOException {
        Path d = res.resolve("org/taylormlp/" + pkg + "/" + cls + "Inputs/fuzz");
        Files.createDirectories(d);
        return d;
    }

    private static void gguf(Path out, Path tmp) throws IOException {
        Object[][] cases = {{Family.LLAMA, false, DType.Q4_0, "llama-q4_0"},
                {Family.QWEN2, true, DType.F16, "qwen2-f16"}, {Family.PHI2, false, DType.Q8_0, "phi2-q8_0"}};
        for (Object[] c : cases) {
            Spec s = micro((Family) c[0], (Boolean) c[1], (DType) c[2]);
            if (c[0] == Family.PHI2) s = new Spec(Family.PHI2, 32, 64, 2, 2, 2, 16, 8, 10000, null, 0, 64, false,
                    VocabKind.BYTE_LEVEL_SMALL, DType.Q8_0, 16, 5);
            Path p = tmp.resolve(c[3] + ".gguf");
            try (Model m = SyntheticModels.create(s)) {
                ModelWriters.writeGguf(m, null, p);
            }
            Files.copy(p, out.resolve("seed-" + c[3]), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        // a structural file: arrays of every kind, a nested array, a Q4_0 tensor, no model metadata
        Path p = tmp.resolve("structural.gguf");
        new GgufWriter().putString("general.architecture", "llama").putUInt32("llama.block_count", 2)
                .putStringArray("tokenizer.ggml.tokens", List.of("a", "bb", "ccc"))
                .putFloat32Array("tokenizer.ggml.scores", new float[] {0, -1, -2})
                .putArray("nested", org.taylormlp.format.gguf.GgufType.ARRAY,
                        List.of(org.taylormlp.format.gguf.GgufArray.of(org.taylormlp.format.gguf.GgufType.INT16, List.of(1))))
                .addTensor(Tensor.ofFloats("a", new float[] {1, 2, 3, 4}, 2, 2))
                .addTensor(Quantize.quantize(Tensor.ofFloats("q", new float[64], 2, 32), DType.Q4_0))
                .write(p);
        Files.copy(p, out.resolve("seed-structural"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void safetensors(Path out) throws IOException {
        Path p = Files.createTempFile("seed", ".safetensors");
        try {
            new SafetensorsWriter().putMetadata("format", "pt")
                    .addTensor(Tensor.ofFloats("a", new float[] {1, 2, 3, 4}, 2, 2))
                    .addTensor(Quantize.quantize(Tensor.ofFloats("h", new float[] {1, 2}, 2), DType.BF16))
                    .addTensor(Quantize.quantize(Tensor.ofFloats("f", new float[] {1, -2, 3}, 3), DType.F16))
                    .write(p);
            Files.copy(p, out.resolve("seed-mixed"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            new SafetensorsWriter().addTensor(Tensor.ofFloats("scalar", new float[] {7}, 1)).write(p);
            Files.copy(p, out.resolve("seed-one"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(p);
        }
    }

    /** config.json as writeHf writes it for each family, with an index over {@link HfFolderFuzzTest#SHARDS}. */
    private static void hf(Path out, Path tmp) throws IOException {
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", 4 * 8 * 4);
        ObjectNode wm = index.putObject("weight_map");
        HfFolderFuzzTest.SHARDS.forEach((shard, names) -> {
            for (String n : names) wm.put(n, shard);
        });
        byte[] idx = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index);
        for (Family f : Family.values()) {
            Path d = tmp.resolve("hf-" + f);
            try (Model m = SyntheticModels.create(micro(f, f == Family.QWEN2, DType.F32))) {
                ModelWriters.writeHf(m, null, d, Long.MAX_VALUE);
            }
            byte[] cfg = Files.readAllBytes(d.resolve("config.json"));
            Files.write(out.resolve("seed-" + f.name().toLowerCase()), FuzzHarness.join(cfg, idx));
        }
    }

    /** A llama2.c checkpoint (dim 8, hidden 16, 1 layer, 2/1 heads, vocab 6, seq 8) and a 6-token tokenizer.bin. */
    private static void llama2c(Path out) throws IOException {
        for (boolean shared : new boolean[] {true, false}) {
            int dim = 8, hidden = 16, layers = 1, heads = 2, kv = 1, vocab = 6, seq = 8, hs = dim / heads;
            Random r = new Random(3);
            ByteArrayOutputStream model = new ByteArrayOutputStream();
            ByteBuffer h = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(dim).putInt(hidden).putInt(layers).putInt(heads).putInt(kv).putInt(shared ? vocab : -vocab).putInt(seq);
            model.write(h.array());
            long floats = (long) vocab * dim + layers * (2L * dim + 2L * dim * dim + 2L * kv * hs * dim + 3L * hidden * dim)
                    + dim + 2L * seq * (hs / 2) + (shared ? 0 : (long) vocab * dim);
            ByteBuffer w = ByteBuffer.allocate((int) floats * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < floats; i++) w.putFloat((float) r.nextGaussian() * 0.3f);
            model.write(w.array());
            String[] toks = {"<unk>", "<s>", "</s>", " a", "b", "\n"};
            ByteArrayOutputStream tok = new ByteArrayOutputStream();
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(8);
            tok.write(b.array());
            for (int i = 0; i < toks.length; i++) {
                byte[] t = toks[i].getBytes(StandardCharsets.UTF_8);
                tok.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(-i).putInt(t.length).array());
                tok.write(t);
            }
            Files.write(out.resolve(shared ? "seed-shared" : "seed-unshared"), FuzzHarness.join(model.toByteArray(), tok.toByteArray()));
        }
    }

    /** A release of the micro llama (and of the micro phi2), and the calibration file it was made from. */
    private static void release(Path out, Path calibOut, Path tmp) throws IOException {
        for (Family f : new Family[] {Family.LLAMA, Family.QWEN2}) {
            Path gg = tmp.resolve("release-src-" + f + ".gguf");
            try (Model src = SyntheticModels.create(micro(f, true, DType.F16))) {
                ModelWriters.writeGguf(src, null, gg);
            }
            try (Model m = org.taylormlp.model.ModelLoader.loadGguf(gg)) {
                Transformer t = new Transformer(m, KernelsProvider.create(1), 64, 8, null);
                List<int[]> seqs = new ArrayList<>();
                Random r = new Random(1);
                for (int s = 0; s < 8; s++) {
                    int[] ids = new int[32];
                    for (int i = 0; i < ids.length; i++) ids[i] = 3 + r.nextInt(m.config().vocabSize() - 3);
                    seqs.add(ids);
                }
                CalibrationStats stats = Calibrator.calibrate(t, seqs, 256, 32, null);
                Path calib = tmp.resolve("calib-" + f);
                CalibrationFile.save(stats, calib, "micro-" + f);
                Files.copy(calib, calibOut.resolve("seed-" + f.name().toLowerCase()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                Selection.Plan plan = Selection.select("paper:50%", stats, m.config().activation(), 4);
                Path rel = tmp.resolve("release-" + f + ".safetensors");
                Protector.protect(m, plan, new Protector.Options(0f, true, DType.F16), rel, null);
                Files.copy(rel, out.resolve("seed-" + f.name().toLowerCase()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void templates(Path out) throws IOException {
        String[][] t = {
                {"chatml", org.taylormlp.chat.ChatTemplates.CHATML},
                {"llama2", org.taylormlp.chat.ChatTemplates.LLAMA2},
                {"llama3", org.taylormlp.chat.ChatTemplates.LLAMA3},
                {"zephyr", org.taylormlp.chat.ChatTemplates.ZEPHYR},
                {"macros", "{% macro m(x) %}[{{ x|upper }}]{% endmacro %}{% for i in range(3) %}{{ m(messages[i % messages|length].content) }}"
                        + "{{ loop.index }}{% endfor %}{{ messages|map(attribute='role')|join(',') }}{% set ns = namespace(n=0) %}"
                        + "{{ (messages|selectattr('role','equalto','user')|list)|length }}{{ '%d' % 3 }}{{ 'x' * 4 }}"},
        };
        for (String[] s : t) Files.writeString(out.resolve("seed-" + s[0]), s[1]);
    }

    /** Request bodies; the first byte's low bit picks chat (1) or completion (0). */
    private static void requests(Path out) throws IOException {
        String[][] r = {
                {"completion", "0{\"model\":\"stories15M\",\"prompt\":\"Once upon a time\",\"max_tokens\":16,\"temperature\":0.7,"
                        + "\"top_p\":0.9,\"seed\":42,\"stop\":[\"\\n\",\"The end\"],\"stream\":true,\"stream_options\":{\"include_usage\":true}}"},
                {"completion-array", "0{\"prompt\":[\"Hi\"],\"n\":1,\"top_k\":40,\"ignore_eos\":false,\"stop\":\"x\"}"},
                {"chat", "1{\"model\":\"stories15M\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                        + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\"}]}],\"max_completion_tokens\":8}"},
                {"chat-bad", "1{\"messages\":[{\"role\":\"robot\",\"content\":1}],\"temperature\":3}"},
        };
        for (String[] s : r) Files.writeString(out.resolve("seed-" + s[0]), s[1]);
    }
}
