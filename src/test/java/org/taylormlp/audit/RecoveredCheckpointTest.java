package org.taylormlp.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.taylormlp.convert.ModelWriters;
import org.taylormlp.format.gguf.GgufFile;
import org.taylormlp.format.gguf.GgufKeys;
import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;
import org.taylormlp.model.Architecture;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.Models;
import org.taylormlp.runtime.SelfText;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.synth.SyntheticModels.Family;
import org.taylormlp.taylor.CalibrationStats;
import org.taylormlp.taylor.Calibrator;
import org.taylormlp.taylor.Protector;
import org.taylormlp.taylor.Selection;
import org.taylormlp.tensor.DType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The audit's recovered checkpoint is written by the writer {@code convert} uses ({@link ModelWriters}), for every
 * family and both source formats: a synthetic model (itself written by {@link ModelWriters}) is protected, recovered
 * from the release alone ({@link ReleaseRecovery}) and written as the audit writes it. The checkpoint must carry
 * exactly the source's metadata (GGUF keys and values, or config.json and tokenizer.json) apart from the name, load
 * with the source's architecture and configuration (Mistral in GGUF is llama.cpp's {@code llama} with a sliding
 * window, as {@code convert} writes it), and generate the original's greedy tokens. A release from a Hugging Face
 * Llama/Mistral folder (half-split RoPE) written as GGUF has its Q/K rows permuted to the adjacent layout (the
 * audit's old writer refused it) and still generates the same tokens.
 */
class RecoveredCheckpointTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} from {1}")
    @CsvSource({"LLAMA, gguf", "MISTRAL, gguf", "QWEN2, gguf", "PHI2, gguf",
            "LLAMA, hf", "MISTRAL, hf", "QWEN2, hf", "PHI2, hf"})
    void recoveredCheckpointIsWhatConvertWrites(Family family, String format) throws Exception {
        Path source = dir.resolve(family + (format.equals("gguf") ? ".gguf" : "-hf"));
        SyntheticModels.write(SyntheticModels.tiny(family), format, source, Long.MAX_VALUE);
        Path release = dir.resolve(family + ".release.safetensors");
        List<int[]> prompts;
        try (Engine orig = Engine.open(source, null, 1, 256)) {
            List<int[]> calib = SelfText.sample(orig, 1024, 100);
            CalibrationStats s = Calibrator.calibrate(orig.transformer(), calib, 0, 256, null);
            Selection.Plan plan = Selection.select("paper:50%", s, orig.model().config().activation(), 12);
            Protector.Summary sum = Protector.protect(orig.model(), plan, new Protector.Options(0f, true, DType.F32), release, null);
            assertThat(sum.protectedNeurons()).as("neurons protected").isPositive();
            prompts = SelfText.sample(orig, 64, 7).stream().map(p -> Arrays.copyOf(p, Math.min(p.length, 4))).limit(3).toList();
        }
        assertThat(prompts).isNotEmpty();

        Path out = dir.resolve(family + "-audit");
        Files.createDirectories(out);
        Path written;
        try (Model rel = Models.load(release)) {
            ReleaseRecovery.Recovered rec = ReleaseRecovery.recover(rel);
            assertThat(rec.unsolved()).isZero();
            written = ReleaseRecovery.write(rec.model(), out);
            if (format.equals("hf")) {
                assertThat(written).isEqualTo(out.resolve("recovered-hf"));
                // the same release recovered again into the same folder replaces the earlier checkpoint
                assertThat(ReleaseRecovery.write(rec.model(), out)).isEqualTo(written);
                assertThat(out.resolve("recovered-hf.tmp")).doesNotExist();
            } else {
                assertThat(written).isEqualTo(out.resolve("recovered.gguf"));
            }
            if (format.equals("hf") && (family == Family.LLAMA || family == Family.MISTRAL)) {
                // half-split RoPE (as loaded from HF) into GGUF's adjacent layout: permuted, not refused
                ModelWriters.Report r = ModelWriters.writeGguf(rec.model(), null, dir.resolve(family + "-from-hf.gguf"));
                assertThat(r.permuted()).hasSize(2 * SyntheticModels.tiny(family).layers());
                sameGreedy(source, r.output(), prompts);
            }
        }

        sameMetadata(source, written, format);
        try (Model s = Models.load(source); Model w = Models.load(written)) {
            ModelConfig sc = s.config(), wc = w.config();
            assertThat(w.format()).isEqualTo(s.format());
            assertThat(wc.architecture()).isEqualTo(family == Family.MISTRAL && format.equals("gguf") ? Architecture.LLAMA
                    : family.architecture());
            assertThat(wc).isEqualTo(sc);
        }
        sameGreedy(source, written, prompts);
    }

    /** The written checkpoint has the source's metadata: what {@link ModelWriters} writes for this configuration. */
    private static void sameMetadata(Path source, Path written, String format) throws Exception {
        if (format.equals("gguf")) {
            try (GgufFile a = GgufFile.open(source); GgufFile b = GgufFile.open(written)) {
                Map<String, Object> ma = new TreeMap<>(a.metadata()), mb = new TreeMap<>(b.metadata());
                assertThat(mb.get(GgufKeys.NAME)).isEqualTo(ReleaseRecovery.NAME);
                ma.remove(GgufKeys.NAME);
                mb.remove(GgufKeys.NAME);
                assertThat(mb.keySet()).containsExactlyElementsOf(ma.keySet());
                for (String k : ma.keySet()) assertThat(String.valueOf(mb.get(k))).as(k).isEqualTo(String.valueOf(ma.get(k)));
                assertThat(b.tensors().stream().map(t -> t.name()).sorted().toList())
                        .isEqualTo(a.tensors().stream().map(t -> t.name()).sorted().toList());
            }
        } else {
            for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
                JsonNode a = JSON.readTree(source.resolve(f).toFile()), b = JSON.readTree(written.resolve(f).toFile());
                assertThat(b).as(f).isEqualTo(a);
            }
        }
    }

    private static void sameGreedy(Path original, Path recovered, List<int[]> prompts) {
        try (Engine o = Engine.open(original, null, 1, 256); Engine r = Engine.open(recovered, null, 1, 256)) {
            for (int[] p : prompts) {
                int[] a = new Generator(o.transformer(), o.model().tokenizer()).generate(p, 24, Sampler.greedy(), null).tokens();
                int[] b = new Generator(r.transformer(), r.model().tokenizer()).generate(p, 24, Sampler.greedy(), null).tokens();
                assertThat(b).as("greedy tokens of %s", recovered.getFileName()).containsExactly(a);
            }
        }
    }
}
