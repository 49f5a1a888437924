package org.taylormlp.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.taylormlp.TestFiles;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.format.gguf.GgufFile;
import org.taylormlp.nn.Transformer;
import org.taylormlp.tensor.KernelsProvider;
import org.taylormlp.tensor.Tensor;

import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/** {@link ResidentWeights}: weights copied out of their files run exactly like the mapped ones, and only when asked or when they fit. */
class ResidentWeightsTest {
    static final long PLENTY = Long.MAX_VALUE / 2;
    static final ResidentWeights.Progress QUIET = (done, total) -> {};

    @TempDir
    Path dir;

    Path model(String kind) throws Exception {
        return switch (kind) {
            case "llama2c" -> TestFiles.smallModel(); // stories260K, else stories15M
            case "gguf" -> {
                // stories260K.gguf from the test assets, else a synthetic Llama GGUF the project writes
                if (TestFiles.hasAsset("models/stories260K-gguf/stories260K.gguf")) yield TestFiles.model("stories260K-gguf/stories260K.gguf");
                Path out = dir.resolve("synthetic.gguf");
                if (!Files.exists(out)) SyntheticModels.write(SyntheticModels.tiny(SyntheticModels.Family.LLAMA), "gguf", out, Long.MAX_VALUE);
                yield out;
            }
            case "hf-sharded-untied" -> {
                Path out = dir.resolve("hf");
                // small shards: the tensors come from several files
                SyntheticModels.write(SyntheticModels.tiny(SyntheticModels.Family.LLAMA), "hf", out, 256 << 10);
                yield out;
            }
            default -> throw new IllegalArgumentException(kind);
        };
    }

    static float[] logits(Model m) {
        Transformer t = new Transformer(m, KernelsProvider.create(1), 64, 32, null);

        int[] ids = {1, 20, 30, 40, 50, 60, 70, 80};
        float[] out = new float[ids.length * m.config().vocabSize()];
        t.forward(ids, 0, ids.length, 0, out);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama2c", "gguf", "hf-sharded-untied"})
    void copiedWeightsHoldTheSameBytesAndGiveTheSameLogits(String kind) throws Exception {
        Path p = model(kind);
        try (Model mapped = org.taylormlp.runtime.Models.load(p); Model copied = ResidentWeights.apply(org.taylormlp.runtime.Models.load(p), WeightLoading.COPY, QUIET, PLENTY)) {
            assertThat(ResidentWeights.placement(mapped)).isEqualTo("memory-mapped from the file");
            assertThat(ResidentWeights.placement(copied)).contains("copied into private memory");
            boolean untied = !copied.config().tiedEmbeddings() && copied.tensors().containsKey(TensorNames.OUTPUT);
            if (kind.equals("hf-sharded-untied")) assertThat(untied).isTrue();
            int copiedCount = 0;
            for (Map.Entry<String, Tensor> e : mapped.tensors().entrySet()) {
                Tensor a = e.getValue(), b = copied.require(e.getKey());
                assertThat(b.data().mismatch(a.data())).as(e.getKey()).isEqualTo(-1L);
                assertThat(b.dtype()).isEqualTo(a.dtype());
                assertThat(b.shape()).isEqualTo(a.shape());
                boolean stayMapped = !a.data().isMapped() || (untied && e.getKey().equals(TensorNames.TOKEN_EMBD));
                assertThat(b.data().isMapped()).as(e.getKey()).isEqualTo(stayMapped);
                if (!stayMapped) copiedCount++;
            }
            assertThat(copiedCount).isGreaterThan(5);
            if (untied) assertThat(ResidentWeights.placement(copied)).contains("token embeddings stay memory-mapped");
            // The bytes are identical (above), and so are the logits, bit for bit: every kernel, exp included
            // (VectorOps.exp, ExpDeterminismTest), gives the same bits in every JIT tier.
            float[] lc = logits(copied), lm = logits(mapped);
            assertThat(lc).as("logits, copied vs mapped").isEqualTo(lm);
        }
    }

    @Test
    void mmapAndAutoWithoutRoomLeaveTheModelAsItIs() throws Exception {
        try (Model m = org.taylormlp.runtime.Models.load(model("gguf"))) {
            assertThat(ResidentWeights.apply(m, WeightLoading.MMAP, QUIET, PLENTY)).isSameAs(m);
            assertThat(ResidentWeights.apply(m, WeightLoading.AUTO, QUIET, 1000)).isSameAs(m);
            assertThat(ResidentWeights.apply(m, WeightLoading.AUTO, QUIET, -1)).isSameAs(m);
        }
        try (Model auto = ResidentWeights.apply(org.taylormlp.runtime.Models.load(model("gguf")), WeightLoading.AUTO, QUIET, PLENTY)) {
            assertThat(ResidentWeights.placement(auto)).contains("copied");
        }
    }

    @Test
    void anExplicitCopyThatCannotFitIsATypedErrorAndTheModelStillRuns() throws Exception {
        try (Model m = org.taylormlp.runtime.Models.load(model("gguf"))) {
            float[] before = logits(m);
            assertThatThrownBy(() -> ResidentWeights.apply(m, WeightLoading.COPY, QUIET, 1000))
                    .isInstanceOf(ResidentWeights.InsufficientMemoryException.class)
                    .hasMessageContaining("bytes available").hasMessageContaining("--load mmap");
            assertThat(logits(m)).isEqualTo(before);
        }
    }

    @Test
    void closingTheCopyReleasesTheCopyAndTheMappingsItTookOver() throws Exception {
        Model original = org.taylormlp.runtime.Models.load(model("hf-sharded-untied"));
        Tensor mappedEmbd = original.require(TensorNames.TOKEN_EMBD);
        Model copied = ResidentWeights.apply(original, WeightLoading.COPY, QUIET, PLENTY);
        Tensor copiedQ = copied.require(TensorNames.blk(0, TensorNames.ATTN_Q));
        original.close(); // its resources moved to the copy: nothing is released yet
        assertThat(copiedQ.data().scope().isAlive()).isTrue();
        assertThat(mappedEmbd.data().scope().isAlive()).isTrue();
        copied.close();
        assertThat(copiedQ.data().scope().isAlive()).isFalse();
        assertThat(mappedEmbd.data().scope().isAlive()).isFalse();
    }

    @Test
    void progressCountsEveryCopiedByte() throws Exception {
        List<long[]> seen = new ArrayList<>();
        try (Model c = ResidentWeights.apply(org.taylormlp.runtime.Models.load(model("gguf")), WeightLoading.COPY, (d, t) -> seen.add(new long[]{d, t}), PLENTY)) {
            long total = seen.getLast()[1];
            assertThat(seen.getLast()[0]).isEqualTo(total);
            long sum = 0;
            for (Tensor t : c.tensors().values()) if (!t.data().isMapped()) sum += t.byteSize();
            assertThat(total).isEqualTo(sum);
            for (int i = 1; i < seen.size(); i++) assertThat(seen.get(i)[0]).isGreaterThan(seen.get(i - 1)[0]);
        }
    }

    @Test
    void aFileThatShrankAfterMappingIsAFormatErrorNotACrash() throws Exception {
        Path copy = dir.resolve("shrinking.gguf");
        Files.copy(model("gguf"), copy);
        try (Model m = org.taylormlp.runtime.Models.load(copy)) {
            try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
                ch.truncate(ch.size() / 2);
            }
            assertThatThrownBy(() -> ResidentWeights.apply(m, WeightLoading.COPY, QUIET, PLENTY))
                    .isInstanceOf(ModelFormatException.class).hasMessageContaining("shrank");
        }
    }

    @Test
    void mappedTensorsOfAnUnknownFileAreCopiedFromTheMapping() throws Exception {
        try (Model ref = org.taylormlp.runtime.Models.load(model("gguf")); GgufFile g = GgufFile.open(model("gguf"))) {
            Map<String, Tensor> ts = new LinkedHashMap<>();
            for (Tensor t : g.tensors()) ts.put(t.name(), t);
            // no resources: the loader cannot tell which file these slices belong to
            Model bare = new Model(ref.source(), "gguf", ref.config(), ts, ref.tokenizer(), Map.of(), List.of());
            try (Model c = ResidentWeights.apply(bare, WeightLoading.COPY, QUIET, PLENTY)) {
                assertThat(c.fileMappings()).isEmpty();
                boolean untied = !c.config().tiedEmbeddings() && c.tensors().containsKey(TensorNames.OUTPUT);
                for (Tensor t : c.tensors().values()) {
                    assertThat(t.data().isMapped()).as(t.name()).isEqualTo(untied && t.name().equals(TensorNames.TOKEN_EMBD));
                    assertThat(t.data().mismatch(ref.require(t.name()).data())).isEqualTo(-1L);
                }
                assertThat(logits(c)).isEqualTo(logits(ref));
            }
        }
    }

    @Test
    void pagesOfTheMappingFaultedInBeforeTheCopyLeaveTheResidentSet() throws Exception {
        assumeThat(Path.of("/proc/self/smaps")).as("Linux /proc/self/smaps").isReadable();
        Path p = model("gguf");
        Model m = org.taylormlp.runtime.Models.load(p);
        long copied = 0, sum = 0;
        boolean untied = !m.config().tiedEmbeddings() && m.tensors().containsKey(TensorNames.OUTPUT);
        for (Tensor t : m.tensors().values()) {
            // read every tensor through the mapping, as a release's digest check does
            for (long i = 0; i < t.byteSize(); i += 512) sum += t.data().get(ValueLayout.JAVA_BYTE, i);
            if (!(untied && t.name().equals(TensorNames.TOKEN_EMBD))) copied += t.byteSize();
        }
        long before = mappedRssBytes(p);
        assertThat(before).as("faulted-in bytes of the mapping (checksum %d)", sum).isGreaterThanOrEqualTo(copied);
        try (Model c = ResidentWeights.apply(m, WeightLoading.COPY, QUIET, PLENTY)) {
            assertThat(ResidentWeights.copied(c)).isTrue();
            assertThat(mappedRssBytes(p)).as("resident bytes of the mapping after copying %,d bytes", copied)
                    .isLessThanOrEqualTo(before - copied * 9 / 10);
        }
    }

    /** Resident bytes of this process's mappings of {@code file}, from /proc/self/smaps. */
    static long mappedRssBytes(Path file) throws Exception {
        String name = file.toRealPath().toString();
        long kb = 0;
        boolean in = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) in = line.endsWith(" " + name);
            else if (in && line.startsWith("Rss:")) kb += Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        return kb * 1024;
    }

    @Test
    void loadingModesParseWithAClearMessage() {
        assertThat(WeightLoading.parse("COPY")).isEqualTo(WeightLoading.COPY);
        assertThat(WeightLoading.parse(" mmap ")).isEqualTo(WeightLoading.MMAP);
        assertThatThrownBy(() -> WeightLoading.parse("ram")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("auto, mmap or copy").hasMessageContaining("'ram'");
        assertThatThrownBy(() -> WeightLoading.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
